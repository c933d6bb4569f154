import Foundation
import TicketSyncPlatform

/// Jira through REST v2, which Cloud and Data Center both serve with plain-text bodies (the one call that differs, the
/// issue search, is chosen per deployment: see `findIssue`); the sweep reads Cloud through v3 (`JiraSweeper`).
/// external_id is the issue key, external_ref the numeric issue id. With a `cloudSite` (the `jira_cloud` kind) every
/// call goes through REST v3 with Atlassian Document Format bodies.
public struct JiraProvider: TicketProvider {
    public var kind: ProviderKind { cloudSite == nil ? .jira : .jiraCloud }
    let settings: JiraSettings
    let baseURL: URL
    let apiToken: String
    let projectKey: String
    let http: any OutboundHTTP
    let timeouts: HTTPTimeouts
    let identityCache: JiraIdentityCache
    /// serverInfo's answer for this base URL, unless the connection states its deployment.
    let deploymentCache: JiraDeploymentCache
    /// How long after a create attempt Cloud's search may still miss its issue (JIRA_CLOUD_SEARCH_LAG_S).
    let cloudSearchLagSeconds: Int
    let linkBack: @Sendable (EvidenceRequest) -> String?
    /// Set for a Jira Cloud site reached through Atlassian's API gateway with OAuth (`jira_cloud`); nil for `jira`.
    var cloudSite: JiraCloudSite? = nil
    /// `settings.fields` (TICKET_FIELDS): which fields a due-date change (`ticket.update`) is pushed to.
    var fieldMapping = FieldMapping.empty

    /// A 400 whose ErrorCollection names fields (`errors`) is a field refusal (`refusedFields`): 422, not 502.
    static let failure = TrackerFailure(
        tracker: "Jira", credentialStatuses: [401, 403], details: errorCollection, fields: refusedFields)

    /// Basic `email:token` for Cloud API tokens; Bearer for Data Center personal access tokens.
    var authorization: String {
        if let email = settings.email {
            return "Basic " + Data("\(email):\(apiToken)".utf8).base64EncodedString()
        }
        return "Bearer \(apiToken)"
    }

    /// `api`: 2 (plain-text bodies, Cloud and Data Center), or 3 (Cloud only: Atlassian Document Format bodies).
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil, api: Int = 2, timeouts: HTTPTimeouts)
        -> OutboundResult
    {
        var headers = [
            "Authorization": authorization, "Accept": "application/json",
            "User-Agent": TicketSyncVersion.userAgent,
        ]
        if body != nil { headers["Content-Type"] = "application/json" }
        let version = cloudSite == nil ? api : 3
        guard let url = URL(string: baseURL.absoluteString + "/rest/api/\(version)" + path) else {
            return .failure("bad URL")
        }
        return http.send(
            OutboundRequest(url: url, method: method, headers: headers, body: body?.serialized() ?? []),
            timeout: timeouts)
    }

    static func escaped(_ key: String) -> String {
        key.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? key
    }

    /// The issue carries the creation key as a label, and `ticketsync` (every issue of ours: what a sweep's search is
    /// bounded by, see `JiraSweeper`); on a resumed create, an issue already labelled with it (made by
    /// a create that died or failed before recording it) is found with a JQL search and returned instead of a second
    /// one. A fresh create searches nothing. The mapped fields and the assignee go with ours (`issueFields`); a field
    /// Jira refuses is named in its words (`refusedFields`).
    public func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket {
        if key.resumed, let existing = try findIssue(labelled: key.text) { return existing }
        // Cloud assigns by accountId, Data Center by user name: the deployment is asked only for an assignee.
        let assignee = try draft.assignee.map { (id: $0, deployment: try deployment()) }
        let body = JSONValue.object(["fields": .object(issueFields(draft, key: key, assignee: assignee))])
        let result = call("POST", "/issue", body, timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status), let answer = result.jsonObject,
            let issueKey = answer["key"]?.stringValue, let id = Self.identifier(answer["id"])
        else { throw Self.failure.apiError(result, action: "create the issue") }
        return ticket(key: issueKey, id: id)
    }

    func ticket(key: String, id: String) -> CreatedTicket {
        CreatedTicket(
            provider: kind.rawValue, externalID: ExternalTicketID(key),
            externalURL: "\((cloudSite?.siteURL ?? baseURL).absoluteString)/browse/\(key)",
            externalRef: id)
    }

    /// The issue a previous attempt made, if any: `labels = "<key>"` through Cloud's `GET /search/jql` (token-paged,
    /// eventually consistent: see `resumeDelay`) or Data Center's `GET /search` (`startAt`-paged). A search that
    /// fails stops the create (better no ticket now than a second one).
    func findIssue(labelled label: String) throws -> CreatedTicket? {
        let jql = "labels = \"\(label)\""
        let query =
            jql.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.")))
            ?? jql
        let path =
            try deployment() == .cloud
            ? "/search/jql?jql=\(query)&fields=summary&maxResults=1"
            : "/search?jql=\(query)&fields=summary&startAt=0&maxResults=1"
        let result = call("GET", path, timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status), let answer = result.jsonObject else {
            throw Self.failure.apiError(result, action: "look for an issue this create already made").lookupOnly
        }
        guard case .array(let issues)? = answer["issues"], let issue = issues.first,
            let id = Self.identifier(issue["id"])
        else { return nil }
        if let issueKey = issue["key"]?.stringValue { return ticket(key: issueKey, id: id) }
        return try issueByID(id)
    }

    /// An issue's key from its id (a search that answered ids only).
    private func issueByID(_ id: String) throws -> CreatedTicket {
        let result = call("GET", "/issue/\(Self.escaped(id))?fields=summary", timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status),
            let issueKey = result.jsonObject?["key"]?.stringValue
        else { throw Self.failure.apiError(result, action: "read the issue this create already made").lookupOnly }
        return ticket(key: issueKey, id: id)
    }

    /// Cloud or Data Center: the connection's `deployment` setting (JIRA_DEPLOYMENT), else serverInfo's
    /// `deploymentType`, asked once per connection, base URL and process (only when a create resumes or a comment is
    /// retried).
    func deployment() throws -> JiraDeployment {
        switch detectedDeployment() {
        case .success(let known): return known
        case .failure(let failed):
            throw Self.failure.apiError(failed.result, action: "tell Cloud from Data Center (serverInfo)").lookupOnly
        }
    }

    func detectedDeployment() -> Result<JiraDeployment, FailedCall> {
        if let stated = settings.deployment { return .success(stated) }
        do {
            return .success(
                try deploymentCache.get {
                    let result = call("GET", "/serverInfo", timeouts: timeouts)
                    guard let status = result.status, (200..<300).contains(status), let info = result.jsonObject else {
                        throw FailedCall(result: result)
                    }
                    return JiraDeployment.fromServerInfo(info["deploymentType"]?.stringValue)
                })
        } catch let failed as FailedCall {
            return .failure(failed)
        } catch {
            return .failure(FailedCall(result: .failure("serverInfo: \(error)")))
        }
    }

    /// Cloud's search is eventually consistent: an issue created moments ago may not be found yet. A resumed create
    /// whose earlier attempt started less than JIRA_CLOUD_SEARCH_LAG_S ago waits (the caller answers 503 with
    /// Retry-After) rather than search, miss and make a second issue. Data Center indexes an issue as it is
    /// created: no wait.
    public func resumeDelay(sinceAttempt: Double) throws -> Int? {
        guard try deployment() == .cloud else { return nil }
        let remaining = Double(cloudSearchLagSeconds) - sinceAttempt
        guard remaining > 0 else { return nil }
        return max(1, Int(remaining.rounded(.up)))
    }

    public func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        switch event.eventType {
        case .comment: comment(event, timeouts: timeouts)
        case .close: close(event, timeouts: timeouts)
        case .create: .giveUp(reason: "ticket.create is never queued", status: nil)
        case .update: update(event, timeouts: timeouts)
        }
    }

    /// The text, attributed to its internal author; Jira's comment id becomes the external comment id.
    /// Each comment carries its event id as a comment property (`ticketsync`); a retry first looks for it, so a
    /// push whose answer was lost (timeout, lost connection) is never posted twice.
    private func comment(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        if event.attempts > 1 {
            switch existingComment(event, timeouts: timeouts) {
            case .success(let id?): return .delivered(externalCommentID: id, echo: nil)
            case .success(nil): break
            case .failure(let failed): return Self.failure.outcome(failed.result)
            }
        }
        let comment = event.payload["comment"]
        let text =
            "\(comment?["body"]?.stringValue ?? "")\n\n— \(comment?["author"]?.stringValue ?? "Ticket Sync"), via Ticket Sync"
        let property = JSONValue.object([
            "key": .string(Self.commentProperty), "value": .object(["event_id": .string(event.eventID)]),
        ])
        let result = call(
            "POST", "/issue/\(Self.escaped(event.externalID.rawValue))/comment",
            .object(["body": richText(text), "properties": .array([property])]), timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status) else { return Self.failure.outcome(result) }
        return .delivered(externalCommentID: result.jsonObject.flatMap { Self.identifier($0["id"]) }, echo: nil)
    }

    static let commentProperty = "ticketsync"

    /// A description or comment body: plain text for REST v2, an Atlassian Document Format document for v3.
    func richText(_ text: String) -> JSONValue { cloudSite == nil ? .string(text) : JiraADF.document(text) }

    /// The id of the issue's comment that carries this event's id, if an earlier attempt posted it: the newest 100
    /// comments with their properties. Data Center expands them on the list itself; Cloud documents that expand only
    /// on `POST /comment/list`, so there the list's ids are read again through it.
    private func existingComment(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> Result<String?, FailedCall> {
        let deployment: JiraDeployment
        switch detectedDeployment() {
        case .success(let known): deployment = known
        case .failure(let failed): return .failure(failed)
        }
        let expand = deployment == .cloud ? "" : "expand=properties&"
        let result = call(
            "GET", "/issue/\(Self.escaped(event.externalID.rawValue))/comment?\(expand)orderBy=-created&maxResults=100",
            timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status),
            case .array(var comments)? = result.jsonObject?["comments"]
        else { return .failure(FailedCall(result: result)) }
        if deployment == .cloud, !comments.isEmpty {
            let ids = comments.compactMap { Self.identifier($0["id"]).flatMap { Int($0) } }.map { JSONValue.int($0) }
            let listed = call(
                "POST", "/comment/list?expand=properties&maxResults=100", .object(["ids": .array(ids)]),
                timeouts: timeouts)
            guard let status = listed.status, (200..<300).contains(status),
                case .array(let values)? = listed.jsonObject?["values"]
            else { return .failure(FailedCall(result: listed)) }
            comments = values
        }
        for comment in comments {
            guard case .array(let properties)? = comment["properties"] else { continue }
            let ours = properties.contains {
                $0["key"]?.stringValue == Self.commentProperty && $0["value"]?["event_id"]?.stringValue == event.eventID
            }
            if ours { return .success(Self.identifier(comment["id"])) }
        }
        return .success(nil)
    }

    /// Closing is a workflow transition: the one whose target status category is `done` (never matched by name).
    private func close(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        let listed = transitions(event.externalID.rawValue, timeouts: timeouts)
        guard case .success(let available) = listed else {
            if case .failure(let failed) = listed { return Self.failure.outcome(failed.result) }
            return .retry(reason: "no answer", status: nil, retryAfter: nil)
        }
        guard let done = available.first(where: { $0.category == "done" }) else {
            return .giveUp(reason: Self.noDoneTransition(available), status: nil)
        }
        let result = call(
            "POST", "/issue/\(Self.escaped(event.externalID.rawValue))/transitions",
            .object(["transition": .object(["id": .string(done.id)])]), timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status) else { return Self.failure.outcome(result) }
        return .delivered(externalCommentID: nil, echo: nil)
    }

    /// A workflow that cannot reach done fails the close before anything is marked closed.
    /// Credentials refused fail it too; a Jira that is merely down or busy does not (the outbox retries).
    public func prepareClose(_ link: TicketLink) throws {
        switch transitions(link.externalID.rawValue, timeouts: timeouts) {
        case .success(let available):
            guard available.contains(where: { $0.category == "done" }) else {
                throw TrackerError(
                    tracker: "Jira", action: "close the issue",
                    reason: .cannotClose(Self.noDoneTransition(available), options: available.map(\.name)))
            }
        case .failure(let failed):
            if let status = failed.result.status, (400..<500).contains(status), status != 429 {
                throw Self.failure.apiError(failed.result, action: "list the issue's transitions")
            }
        }
    }

    struct Transition {
        let id: String
        let name: String
        let category: String?
    }

    private func transitions(_ key: String, timeouts: HTTPTimeouts) -> Result<[Transition], FailedCall> {
        let result = call("GET", "/issue/\(Self.escaped(key))/transitions", timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status),
            case .array(let items)? = result.jsonObject?["transitions"]
        else { return .failure(FailedCall(result: result)) }
        return .success(
            items.compactMap { item in
                guard let id = Self.identifier(item["id"]) else { return nil }
                return Transition(
                    id: id, name: item["name"]?.stringValue ?? id,
                    category: item["to"]?["statusCategory"]?["key"]?.stringValue)
            })
    }

    struct FailedCall: Error { let result: OutboundResult }

    static func noDoneTransition(_ available: [Transition]) -> String {
        let names = available.map(\.name)
        return "Jira offers no transition to a done status from the issue's current status"
            + (names.isEmpty
                ? " (no transitions available to this account)." : "; available: \(names.joined(separator: ", ")).")
    }

    /// The integration account, asked once per process.
    public func identity() -> JiraIdentity? {
        identityCache.get { try? fetchIdentity().get() }
    }

    /// `GET /rest/api/2/myself`: the account's ids (which comments are ours) and its time zone (how JQL reads times).
    func fetchIdentity() -> Result<JiraIdentity, FailedCall> {
        let result = call("GET", "/myself", timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status), let me = result.jsonObject else {
            return .failure(FailedCall(result: result))
        }
        return .success(
            JiraIdentity(
                accountID: me["accountId"]?.stringValue, name: me["name"]?.stringValue, key: me["key"]?.stringValue,
                timeZone: me["timeZone"]?.stringValue))
    }

    /// Swept by searching the project's issues labelled `ticketsync` and looking issues up (`JiraSweeper`).
    public func sweeper(reading db: PGConnection) -> (any TicketSweeper)? { JiraSweeper(jira: self) }

    /// Jira ids are strings in JSON, but accept numbers too.
    static func identifier(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text.isEmpty ? nil : text
        // A JSON number that is not a whole number within Int's range (1e19, 1.5) is no id: never a trap.
        case .number(let number)?: Int(exactly: number).map(String.init)
        case .int(let number)?: String(number)
        default: nil
        }
    }

    /// Jira's ErrorCollection: `{"errorMessages": [...], "errors": {"field": "message"}}`.
    static func errorCollection(_ result: OutboundResult) -> String? {
        guard let body = result.jsonObject else { return nil }
        var parts: [String] = []
        if case .array(let messages)? = body["errorMessages"] { parts += messages.compactMap(\.stringValue) }
        if case .object(let fields)? = body["errors"] {
            parts += fields.keys.sorted().compactMap { key in fields[key]?.stringValue.map { "\(key): \($0)" } }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
