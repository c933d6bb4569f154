import Foundation
import TicketSyncPlatform

/// One GraphQL call to Linear: `POST <base>/graphql` with `{"query", "variables"}`, the personal API key bare in
/// `Authorization`. Linear answers errors as `errors[]` (usually with HTTP 200, rate limiting with 400): `send`
/// turns them into the HTTP status they mean, so the shared `TrackerFailure` judges them like any tracker's.
struct LinearGraphQL: Sendable {
    let baseURL: URL
    let apiKey: String
    let http: any OutboundHTTP

    /// The request body: the document and its variables (values never spliced into the document).
    static func body(_ document: String, _ variables: [String: JSONValue]) -> [UInt8] {
        JSONValue.object(["query": .string(document), "variables": .object(variables)]).serialized()
    }

    func send(_ document: String, _ variables: [String: JSONValue], timeouts: HTTPTimeouts) -> OutboundResult {
        guard let url = URL(string: baseURL.absoluteString + "/graphql") else { return .failure("bad URL") }
        let request = OutboundRequest(
            url: url, method: "POST",
            headers: [
                "Authorization": apiKey, "Content-Type": "application/json", "Accept": "application/json",
                "User-Agent": TicketSyncVersion.userAgent,
            ],
            body: Self.body(document, variables))
        return Self.normalized(http.send(request, timeout: timeouts))
    }

    /// An answer carrying `errors[]` as the status it means: `RATELIMITED` → 429 (with a Retry-After from Linear's
    /// reset time when it sent none), `AUTHENTICATION_ERROR`/`FORBIDDEN` → 401, any other error in a 2xx → 400.
    static func normalized(_ result: OutboundResult, now: Date = Date()) -> OutboundResult {
        guard case .response(let status, var headers, let body) = result, hasErrors(result) else { return result }
        let codes = errorCodes(result)
        var mapped = status
        if codes.contains("RATELIMITED") {
            mapped = 429
            if headers["retry-after"] == nil, let reset = headers["x-ratelimit-requests-reset"].flatMap(Double.init) {
                let seconds = max(1, (reset / 1000 - now.timeIntervalSince1970).rounded(.up))
                headers["retry-after"] = String(Int(exactly: min(seconds, 3600)) ?? 60)
            }
        } else if codes.contains("AUTHENTICATION_ERROR") || codes.contains("FORBIDDEN") {
            mapped = 401
        } else if (200..<300).contains(status) {
            mapped = 400
        }
        return .response(status: mapped, headers: headers, body: body)
    }

    static func hasErrors(_ result: OutboundResult) -> Bool {
        if case .array(let errors)? = result.jsonObject?["errors"] { return !errors.isEmpty }
        return false
    }

    /// Every `errors[].extensions.code`, upper-cased.
    static func errorCodes(_ result: OutboundResult) -> Set<String> {
        guard case .array(let errors)? = result.jsonObject?["errors"] else { return [] }
        return Set(errors.compactMap { $0["extensions"]?["code"]?.stringValue?.uppercased() })
    }

    /// Linear's words: each error's `userPresentableMessage`, else its `message`.
    static func errorText(_ result: OutboundResult) -> String? {
        guard case .array(let errors)? = result.jsonObject?["errors"] else { return nil }
        let texts = errors.compactMap {
            $0["extensions"]?["userPresentableMessage"]?.stringValue ?? $0["message"]?.stringValue
        }
        return texts.isEmpty ? nil : texts.joined(separator: "; ")
    }

    /// Whether the errors say the entity asked for does not exist (a look-up that found nothing).
    static func notFound(_ result: OutboundResult) -> Bool {
        guard case .array(let errors)? = result.jsonObject?["errors"], !errors.isEmpty else { return false }
        return errors.allSatisfy { error in
            let message = (error["message"]?.stringValue ?? "").lowercased()
            let code = error["extensions"]?["code"]?.stringValue?.uppercased()
            return code == "ENTITY_NOT_FOUND" || message.contains("not found") || message.contains("could not find")
        }
    }

    /// `data.<field>` of a successful answer.
    static func data(_ result: OutboundResult, _ field: String) -> JSONValue? {
        guard let status = result.status, (200..<300).contains(status), !hasErrors(result) else { return nil }
        return result.jsonObject?["data"]?[field]
    }
}

/// The documents Ticket Sync sends, each with the fields it reads back. (The `!` in them is GraphQL's non-null type,
/// text sent to Linear, not a Swift unwrap: each such line carries the trap check's marker.)
enum LinearDocument {
    static let issueCreate =
        "mutation IssueCreate($input: IssueCreateInput!) "  // trap-safe: GraphQL text
        + "{ issueCreate(input: $input) { success issue { id identifier url } } }"
    static let issue =
        "query Issue($id: String!) "  // trap-safe: GraphQL text
        + "{ issue(id: $id) { id identifier url } }"
    static let commentCreate =
        "mutation CommentCreate($input: CommentCreateInput!) "  // trap-safe: GraphQL text
        + "{ commentCreate(input: $input) { success comment { id } } }"
    static let comment =
        "query Comment($id: String!) "  // trap-safe: GraphQL text
        + "{ comment(id: $id) { id } }"
    static let teamStates =
        "query TeamStates($id: String!) "  // trap-safe: GraphQL text
        + "{ team(id: $id) { states { nodes { id type position } } } }"
    static let issueUpdate =
        "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) "  // trap-safe: GraphQL text
        + "{ issueUpdate(id: $id, input: $input) { success } }"
    static let users =
        "query Users($email: String!) "  // trap-safe: GraphQL text
        + "{ users(filter: { email: { eqIgnoreCase: $email } }, first: 1) { nodes { id } } }"
    static let viewer = "query Viewer { viewer { id name } }"
    static let team =
        "query Team($id: String!) "  // trap-safe: GraphQL text
        + "{ team(id: $id) { id key } }"
}
