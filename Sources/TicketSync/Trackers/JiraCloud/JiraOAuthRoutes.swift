import Foundation
import TicketSyncPlatform

/// Connecting Jira Cloud with OAuth 2.0 (3LO) (docs/trackers/jira-cloud.md, "Connecting").
/// `POST /api/v1/orgs/{org_id}/ticket-sync/connections/oauth/jira` (configure) starts it: 201 with Atlassian's
/// authorize URL and a single-use `state` bound to the org and the user (and to the connection, for a reconnect),
/// valid 10 minutes. `GET /api/v1/ticket-sync/oauth/jira/callback?code=…&state=…` (no bearer token: the state
/// authenticates) finishes it and redirects (303) to the page.
enum JiraOAuthRoutes {
    static let members: Set<String> = ["name", "default", "project_key", "site", "connection_id"]

    static func connect(_ context: RequestContext) throws -> HTTPResponse {
        let oauth = context.settings.jiraOAuth
        guard oauth.missing.isEmpty else { throw APIError.jiraOAuthNotConfigured(oauth.missing) }
        guard context.providers.keys.current != nil else { throw APIError.secretKeysMissing }
        guard let user = context.principal?.userID.rawValue else { throw APIError.unauthorized }
        let body: [String: JSONValue] = context.request.body.isEmpty ? [:] : try context.jsonObjectBody()
        if let unknown = body.keys.sorted().first(where: { !members.contains($0) }) {
            throw APIError.invalidField(
                unknown, "`\(unknown)` is not accepted here; accepted: \(members.sorted().joined(separator: ", ")).")
        }
        var started = JiraOAuthStateStore.Started(
            org: context.orgID, user: user, connectionID: nil, name: try text(body["name"], field: "name", max: 200),
            isDefault: false, projectKey: nil, site: try text(body["site"], field: "site", max: 2048))
        switch body["default"] {
        case nil, .null?: break
        case .bool(let flag)?: started.isDefault = flag
        default: throw APIError.invalidField("default", "`default` must be true or false.")
        }
        if let key = try text(body["project_key"], field: "project_key", max: 50) {
            started.projectKey = try JiraTracker.validate(setting: "project_key", key, field: "project_key") ?? key
        }
        let db = try context.database()
        if let id = try text(body["connection_id"], field: "connection_id", max: 64) {
            // A reconnect: the org's own jira_cloud connection, kept with its id and links.
            guard UUID(uuidString: id) != nil,
                let connection = try ConnectionStore(db: db).find(org: context.orgID, id: id.lowercased()),
                connection.kind == .jiraCloud
            else { throw APIError.notFound("No such Jira Cloud connection.") }
            started.connectionID = connection.id.rawValue
        }
        let state = Hex.encode(Crypto.randomBytes(32))
        let expires = try JiraOAuthStateStore(db: db).start(state: state, started)
        let client = JiraOAuthClient(
            settings: oauth, http: context.providers.http, timeouts: context.settings.httpTimeouts)
        return .json(
            201, .object(["authorize_url": .string(client.authorizeURL(state: state)), "expires_at": .string(expires)]))
    }

    private static func text(_ value: JSONValue?, field: String, max: Int) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let raw)?:
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= max,
                !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 })
            else {
                throw APIError.invalidField(field, "`\(field)` must be a single line of at most \(max) characters.")
            }
            return trimmed
        default: throw APIError.invalidField(field, "`\(field)` must be a string.")
        }
    }

    static func callback(_ context: RequestContext) throws -> HTTPResponse {
        let query = parameters(context.request.query)
        guard let state = query["state"], state.utf8.count == 64 else { throw APIError.invalidOAuthState }
        let db = try context.database()
        guard let started = try JiraOAuthStateStore(db: db).use(state: state) else { throw APIError.invalidOAuthState }
        let page = pageURL(context)
        if let denied = query["error"] {
            return redirect(page, ["jira_cloud": "error", "reason": String(denied.prefix(100))])
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 4096 else {
            return redirect(page, ["jira_cloud": "error", "reason": "no_code"])
        }
        let oauth = context.settings.jiraOAuth
        guard oauth.missing.isEmpty else { throw APIError.jiraOAuthNotConfigured(oauth.missing) }
        let client = JiraOAuthClient(
            settings: oauth, http: context.providers.http, timeouts: context.settings.httpTimeouts)
        let finished = JiraOAuthFinish(context: context, db: db, client: client, started: started)
        switch finished.run(code: code) {
        case .connected(let id): return redirect(page, ["jira_cloud": "connected", "connection": id])
        case .chooseSite(let sites):
            return redirect(page, ["jira_cloud": "choose_site", "sites": sites.joined(separator: ",")])
        case .failed(let reason):
            ServerLog.warning("org \(started.org): connecting Jira Cloud failed: \(reason)")
            return redirect(page, ["jira_cloud": "error", "reason": reason])
        }
    }

    /// The page, where the result is shown (in its URL fragment, which the page reads).
    static func pageURL(_ context: RequestContext) -> String {
        "\(context.settings.publicBaseURL ?? context.request.origin)/"
    }

    static func redirect(_ page: String, _ fragment: [String: String]) -> HTTPResponse {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~:,"))
        let text = fragment.keys.sorted().map { key in
            "\(key)=\(fragment[key]?.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return HTTPResponse(
            status: 303, headers: [("Location", "\(page)#\(text)"), ("Cache-Control", "no-store")])
    }

    static func parameters(_ query: String) -> [String: String] {
        var found: [String: String] = [:]
        for item in URLComponents(string: "?" + query)?.queryItems ?? [] where found[item.name] == nil {
            found[item.name] = item.value ?? ""
        }
        return found
    }
}

extension APIError {
    static let invalidOAuthState = APIError(
        400, "invalid-oauth-state",
        "The authorization's state is unknown, already used or expired (they last 10 minutes); start connecting again.")
}
