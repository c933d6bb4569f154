import Foundation
import TicketSyncPlatform

/// What a new issue carries besides the fields Ticket Sync owns (the connection's field mapping, rendered, and the
/// assignee), what Jira's refusals of those fields say, and how a changed due date reaches the issue.
extension JiraProvider {
    /// The `fields` of `POST /issue`: the draft's rendered mapping, then ours over it. `project`, `summary` and
    /// `issuetype` are always ours; mapped `labels` are added after ours (the creation key and `ticketsync`, which
    /// the resumed create and the sweep search by), duplicates dropped; a mapped `description` replaces ours (a
    /// string is written as ours is: plain text on v2, Atlassian Document Format on v3); the assignee rule's account
    /// (`{"accountId"}` on Cloud, `{"name"}` on Data Center) replaces a mapped `assignee`.
    func issueFields(_ draft: TicketDraft, key: CreationKey, assignee: (id: String, deployment: JiraDeployment)?)
        -> [String: JSONValue]
    {
        let request = draft.request
        var fields = draft.fields
        fields["project"] = .object(["key": .string(projectKey)])
        fields["summary"] = .string(String(request.title.prefix(255)))
        fields["issuetype"] = .object(["name": .string(settings.issueType)])
        switch draft.fields["description"] {
        case .string(let text)?: fields["description"] = richText(text)
        case .some: break
        case nil:
            var description = request.description
            if let link = linkBack(request) {
                description += (description.isEmpty ? "" : "\n\n") + "Evidence request: \(link)"
            }
            fields["description"] = richText(description)
        }
        fields["labels"] = .array(Self.labels(ours: [key.text, JiraSweepQuery.label], mapped: draft.fields["labels"]))
        if let assignee {
            fields["assignee"] = .object(
                assignee.deployment == .cloud ? ["accountId": .string(assignee.id)] : ["name": .string(assignee.id)])
        }
        return fields
    }

    /// Our labels, then the mapping's (a list, or one label), each once. Anything but a string is passed on as it
    /// is, for Jira to refuse in its own words.
    static func labels(ours: [String], mapped: JSONValue?) -> [JSONValue] {
        let given: [JSONValue] =
            switch mapped {
            case .array(let items)?: items
            case .string(let label)?: [.string(label)]
            case nil, .null?: []
            case let other?: [other]
            }
        var out = ours.map(JSONValue.string)
        for label in given where !out.contains(label) { out.append(label) }
        return out
    }

    /// Jira's 400 ErrorCollection blames fields in `errors` (`{"customfield_10010": "Team is required."}`): those
    /// are a field refusal, fixed in the mapping. A 400 with `errorMessages` only is not about a field.
    static func refusedFields(_ result: OutboundResult) -> [TrackerFieldProblem]? {
        guard result.status == 400, case .object(let errors)? = result.jsonObject?["errors"] else { return nil }
        return errors.keys.sorted().compactMap { field in
            errors[field]?.stringValue.map { TrackerFieldProblem(field: field, message: $0) }
        }
    }

    /// `settings.assignee = creator`: the user with this e-mail. Cloud: `GET /user/search?query=` and the account's
    /// `accountId` (Cloud hides most e-mail addresses, so a user whose address is hidden counts as found by it);
    /// Data Center: `GET /user/search?username=` (which matches e-mail addresses too) and the user's `name`.
    public func account(email: String) throws -> AccountLookup {
        let cloud = try deployment() == .cloud
        let result = call(
            "GET", "/user/search?\(cloud ? "query" : "username")=\(Self.escaped(email))&maxResults=50",
            timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status),
            case .array(let users)? = try? JSONParser.parse(result.body)
        else { throw Self.failure.apiError(result, action: "look up the assignee by e-mail").lookupOnly }
        return Self.account(email: email, among: users, cloud: cloud)
    }

    /// The active person (no app account) whose visible e-mail is `email`, else the first whose e-mail is hidden; a
    /// user showing another address only matched the search by its prefix, and is someone else.
    static func account(email: String, among users: [JSONValue], cloud: Bool) -> AccountLookup {
        let people = users.filter { user in
            user["active"] != .bool(false) && user["accountType"]?.stringValue != "app"
                && Self.identifier(user[cloud ? "accountId" : "name"]) != nil
        }
        let wanted = email.lowercased()
        let shown = people.first { $0["emailAddress"]?.stringValue?.lowercased() == wanted }
        let hidden = people.first { ($0["emailAddress"]?.stringValue ?? "").isEmpty }
        guard let user = shown ?? hidden, let id = Self.identifier(user[cloud ? "accountId" : "name"]) else {
            return .notFound
        }
        return .found(id)
    }

    /// A `ticket.update` (a changed due date): `PUT /issue/{key}` with the fields the mapping sends the due date to
    /// (`duedate` by default); 204 is delivered. Nothing of Jira's to change (the mapping sends the due date
    /// nowhere) is delivered without a call.
    func update(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        let fields = event.dueDateUpdate(fieldMapping, dueDateField: JiraTracker.dueDateField)
        guard !fields.isEmpty else { return .delivered(externalCommentID: nil, echo: nil) }
        let result = call(
            "PUT", "/issue/\(Self.escaped(event.externalID.rawValue))", .object(["fields": .object(fields)]),
            timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status) else { return Self.failure.outcome(result) }
        return .delivered(externalCommentID: nil, echo: nil)
    }
}
