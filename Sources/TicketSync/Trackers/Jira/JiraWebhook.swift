import TicketSyncPlatform

/// The Jira webhook events Ticket Sync acts on: a comment (`comment_created`, or `jira:issue_updated` carrying one),
/// a status change (`jira:issue_updated` whose changelog has a `status` item) and a deleted issue
/// (`jira:issue_deleted`). Anything else is acknowledged and ignored.
enum JiraWebhook: Equatable {
    /// The issue an event is about: its key, or its numeric id.
    struct Issue: Equatable {
        var key: String?
        var id: String?
    }

    case commentCreated(JiraCommentCreated)
    case issueUpdated(Issue, comment: JiraCommentCreated?, status: TrackerStatusChange?)
    case issueDeleted(Issue, actor: String?)
    case other

    /// The `webhookEvent` names.
    enum Name {
        static let commentCreated = "comment_created"
        static let issueUpdated = "jira:issue_updated"
        static let issueDeleted = "jira:issue_deleted"
    }

    /// What a Jira webhook must subscribe to, for the readiness view and the README.
    static let subscribedEvents = [Name.commentCreated, Name.issueUpdated, Name.issueDeleted]

    static func decode(_ value: JSONValue) throws -> JiraWebhook {
        guard case .object(let members) = value else {
            throw APIError.invalidField("", "The body must be a JSON object.")
        }
        guard let event = members["webhookEvent"]?.stringValue else {
            throw APIError.invalidField("webhookEvent", "`webhookEvent` must be a string.")
        }
        switch event {
        case Name.commentCreated:
            return .commentCreated(try JiraCommentCreated.decode(comment: members["comment"], payload: members))
        case Name.issueUpdated:
            let issue = try self.issue(members)
            let comment = try members["comment"].map { try JiraCommentCreated.decode(comment: $0, payload: members) }
            return .issueUpdated(issue, comment: comment, status: try statusChange(members))
        case Name.issueDeleted:
            return .issueDeleted(try self.issue(members), actor: actor(members))
        default:
            return .other
        }
    }

    private static func issue(_ members: [String: JSONValue]) throws -> Issue {
        let issue = Issue(
            key: members["issue"]?["key"]?.stringValue, id: JiraProvider.identifier(members["issue"]?["id"]))
        guard issue.key != nil || issue.id != nil else {
            throw APIError.invalidField("issue.key", "The payload names no issue (`issue.key` or `issue.id`).")
        }
        return issue
    }

    private static func actor(_ members: [String: JSONValue]) -> String? {
        members["user"]?["displayName"]?.stringValue ?? members["user"]?["name"]?.stringValue
    }

    /// The new status when the changelog moved it: its name and category from `issue.fields.status` (the changelog
    /// has names only, and workflows name statuses anything), ordered by the event's `timestamp`.
    private static func statusChange(_ members: [String: JSONValue]) throws -> TrackerStatusChange? {
        guard case .array(let items)? = members["changelog"]?["items"],
            let item = items.first(where: { $0["field"]?.stringValue == "status" })
        else { return nil }
        let status = members["issue"]?["fields"]?["status"]
        guard let name = status?["name"]?.stringValue ?? item["toString"]?.stringValue, !name.isEmpty else {
            throw APIError.invalidField("issue.fields.status.name", "A status change must name the new status.")
        }
        guard let key = status?["statusCategory"]?["key"]?.stringValue else {
            throw APIError.invalidField(
                "issue.fields.status.statusCategory.key", "A status change must carry the new status's category.")
        }
        guard let milliseconds = timestamp(members["timestamp"]) else {
            throw APIError.invalidField("timestamp", "A status change must carry Jira's `timestamp` (milliseconds).")
        }
        // Jira's categories: new, indeterminate, done (and "undefined" for a status without one).
        let category = TrackerStatusChange.Category(rawValue: key) ?? .indeterminate
        return TrackerStatusChange(
            name: String(name.prefix(255)), category: category, state: nil, milliseconds: milliseconds,
            actor: actor(members).map { String($0.prefix(255)) })
    }

    /// Jira's `timestamp`: milliseconds since 1970, as a JSON number (years 1970 to 9999).
    static func timestamp(_ value: JSONValue?) -> Int64? {
        guard case .number(let number)? = value, number.isFinite, number >= 0, number < 253_402_300_800_000 else {
            return nil
        }
        return Int64(number.rounded())  // trap-safe: bounded just above
    }
}
