import Foundation
import TicketSyncPlatform

/// Atlassian's OAuth 2.0 (3LO) endpoints: the token endpoint (`POST <auth>/oauth/token`: a code, or a refresh token,
/// for an access token and a new refresh token), the sites a token reaches (`GET <api>/oauth/token/accessible-resources`)
/// and the account it acts as on one (`GET <api>/ex/jira/{cloudId}/rest/api/3/myself`). The URLs are the operator's
/// (TICKET_ATLASSIAN_*), called like the deployment default's.
struct JiraOAuthClient {
    let settings: JiraOAuthSettings
    let http: any OutboundHTTP
    let timeouts: HTTPTimeouts

    struct Tokens: Sendable {
        var accessToken: String
        var refreshToken: String
        var expiresIn: Int
        var scope: String
    }

    struct Site: Sendable {
        var cloudID: String
        var url: URL
        var name: String
        var scopes: [String]
    }

    enum Failure: Error {
        /// The code or refresh token is not (any longer) good: the org must connect again.
        case invalidGrant(String)
        /// Atlassian did not answer usefully; worth trying again later.
        case unavailable(String)
    }

    static let scopes = [
        "read:jira-work", "write:jira-work", "read:jira-user", "manage:jira-webhook", "offline_access",
    ]

    /// Where the browser goes to consent.
    func authorizeURL(state: String) -> String {
        let query: [(String, String)] = [
            ("audience", "api.atlassian.com"), ("client_id", settings.clientID ?? ""),
            ("scope", Self.scopes.joined(separator: " ")), ("redirect_uri", settings.redirectURL ?? ""),
            ("state", state), ("response_type", "code"), ("prompt", "consent"),
        ]
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~"))
        let text = query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return "\(settings.authURL.absoluteString)/authorize?\(text)"
    }

    func exchange(code: String) -> Result<Tokens, Failure> {
        token([
            "grant_type": .string("authorization_code"), "code": .string(code),
            "redirect_uri": .string(settings.redirectURL ?? ""),
        ])
    }

    func refresh(_ refreshToken: String) -> Result<Tokens, Failure> {
        token(["grant_type": .string("refresh_token"), "refresh_token": .string(refreshToken)])
    }

    private func token(_ grant: [String: JSONValue]) -> Result<Tokens, Failure> {
        var body = grant
        body["client_id"] = .string(settings.clientID ?? "")
        body["client_secret"] = .string(settings.clientSecret ?? "")
        let result = send("POST", settings.authURL.absoluteString + "/oauth/token", body: .object(body))
        guard let status = result.status else { return .failure(.unavailable(result.summary)) }
        let answer = result.jsonObject
        guard (200..<300).contains(status) else {
            // RFC 6749 §5.2: a bad, expired, revoked or reused grant is `invalid_grant` (Atlassian answers 403 too).
            let error = answer?["error"]?.stringValue
            if error == "invalid_grant" || (error == nil && status == 403) {
                return .failure(.invalidGrant(answer?["error_description"]?.stringValue ?? "invalid_grant"))
            }
            return .failure(.unavailable("HTTP \(status)\(error.map { " \($0)" } ?? "")"))
        }
        guard let access = answer?["access_token"]?.stringValue, !access.isEmpty,
            let refresh = answer?["refresh_token"]?.stringValue, !refresh.isEmpty
        else { return .failure(.unavailable("the token answer lacks access_token or refresh_token")) }
        let expires = JiraProvider.identifier(answer?["expires_in"]).flatMap { Int($0) } ?? 3600
        return .success(
            Tokens(
                accessToken: access, refreshToken: refresh, expiresIn: max(60, min(expires, 86_400)),
                scope: answer?["scope"]?.stringValue ?? ""))
    }

    func sites(accessToken: String) -> Result<[Site], Failure> {
        let result = send(
            "GET", settings.apiURL.absoluteString + "/oauth/token/accessible-resources", bearer: accessToken)
        guard let status = result.status, (200..<300).contains(status),
            case .array(let items)? = try? JSONParser.parse(result.body)
        else { return .failure(.unavailable("accessible-resources: \(result.summary)")) }
        return .success(
            items.compactMap { item in
                guard let id = item["id"]?.stringValue, !id.isEmpty, Self.safeCloudID(id),
                    let url = Settings.serviceURL(item["url"]?.stringValue)
                else { return nil }
                var scopes: [String] = []
                if case .array(let granted)? = item["scopes"] { scopes = granted.compactMap(\.stringValue) }
                return Site(cloudID: id, url: url, name: item["name"]?.stringValue ?? id, scopes: scopes)
            })
    }

    /// The account the token acts as on a site: `accountId` and `displayName`.
    func myself(accessToken: String, cloudID: String) -> Result<(id: String, name: String), Failure> {
        let result = send(
            "GET", "\(settings.apiURL.absoluteString)/ex/jira/\(cloudID)/rest/api/3/myself", bearer: accessToken)
        guard let status = result.status, (200..<300).contains(status), let me = result.jsonObject,
            let id = me["accountId"]?.stringValue
        else { return .failure(.unavailable("myself: \(result.summary)")) }
        return .success((id, me["displayName"]?.stringValue ?? id))
    }

    /// A cloud id goes into URL paths: letters, digits and dashes only (Atlassian's are UUIDs).
    static func safeCloudID(_ id: String) -> Bool {
        id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    private func send(_ method: String, _ address: String, body: JSONValue? = nil, bearer: String? = nil)
        -> OutboundResult
    {
        guard let url = URL(string: address) else { return .failure("bad URL") }
        var headers = ["Accept": "application/json", "User-Agent": TicketSyncVersion.userAgent]
        if body != nil { headers["Content-Type"] = "application/json" }
        if let bearer { headers["Authorization"] = "Bearer \(bearer)" }
        return http.send(
            OutboundRequest(url: url, method: method, headers: headers, body: body?.serialized() ?? []),
            timeout: timeouts)
    }
}
