import TicketSyncPlatform

/// One outbound event as claimed from the outbox, with what a provider needs to deliver it.
public struct OutboxEvent: Sendable, Equatable {
    public enum EventType: String, Sendable {
        case create = "ticket.create"
        case comment = "ticket.comment"
        case close = "ticket.close"
        /// A changed due date (`DueDateWatch`), ordered with the link's other events.
        case update = "ticket.update"
    }

    public var id: Int
    public var eventID: String
    public var orgID: OrgID
    public var linkID: TicketLinkID
    /// The link's org connection; nil for the deployment default.
    public var connectionID: ConnectionID?
    public var evidenceRequestID: EvidenceRequestID
    public var commentID: Int?
    public var provider: String
    public var eventType: EventType
    /// The exact JSON bytes that are sent (and signed) on every attempt.
    public var body: String
    /// Attempts so far, this one included.
    public var attempts: Int
    /// The ticket's id in the tracker.
    public var externalID: ExternalTicketID
    /// The tracker's internal id of the ticket (Jira issue id, ServiceNow sys_id), when it has one.
    public var externalRef: String? = nil
    /// The lease this claim took: the outcome is recorded only while the event is still held under it.
    public var leaseToken: String? = nil

    /// The body decoded again, for providers that send their own format rather than the event itself; nil when the
    /// stored body is not JSON (the deliverer then fails the event for good instead of sending an empty one).
    public var parsedPayload: JSONValue? { try? JSONParser.parse(Array(body.utf8)) }

    /// A `ticket.update` event's fields for this tracker: the new due date (null: removed) in every field the
    /// mapping sends it to (`FieldMapping.dueDateTargets`). Empty: nothing of this tracker's to update.
    public func dueDateUpdate(_ mapping: FieldMapping, dueDateField: String?) -> [String: JSONValue] {
        guard eventType == .update else { return [:] }
        let due = payload["due_date"]?.stringValue.map(JSONValue.string) ?? .null
        var fields: [String: JSONValue] = [:]
        for target in mapping.dueDateTargets(dueDateField: dueDateField) { fields[target] = due }
        return fields
    }

    /// The decoded body; only reached for events whose body `Deliverer.attempt` found parseable.
    public var payload: JSONValue { parsedPayload ?? .null }
}

/// What one delivery attempt came to.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The provider has it. For a comment: the provider's comment id (nil → a stable one is minted) and an optional echo.
    case delivered(externalCommentID: String?, echo: ExternalReply?)
    /// Try again later (server error, timeout, 429…); `retryAfter` in seconds when the server said so.
    case retry(reason: String, status: Int?, retryAfter: Int?)
    /// Never try again on its own (410 Gone, or a request the provider will always refuse).
    case giveUp(reason: String, status: Int?)
}
