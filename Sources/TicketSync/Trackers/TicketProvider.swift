import TicketSyncPlatform

/// What a provider returns when it has opened a ticket.
public struct CreatedTicket: Sendable, Equatable {
    public var provider: String
    public var externalID: ExternalTicketID
    /// The deep link; nil when the tracker gave none.
    public var externalURL: String?
    /// The tracker's internal id when it differs from the human one (Jira issue id, ServiceNow sys_id).
    public var externalRef: String? = nil
}

/// The idempotency key of one create: derived from the link it reserved, the same on every attempt to complete it.
public struct CreationKey: Sendable, Equatable {
    public let linkID: TicketLinkID
    /// An earlier attempt of the same reservation may have reached the tracker: look for its ticket before making
    /// one. False for a fresh reservation, which nothing can have made yet (no look-up: one call fewer).
    public let resumed: Bool
    /// The number the service minted for this key from the provider's `mintedSequence` (mock-TCK-<n>, wh-<n>): the
    /// same on every attempt; nil for trackers that number their own tickets.
    public let mintedNumber: String?

    public init(linkID: TicketLinkID, resumed: Bool = false, mintedNumber: String? = nil) {
        self.linkID = linkID
        self.resumed = resumed
        self.mintedNumber = mintedNumber
    }

    /// As a tracker label, correlation id or minted-number key: `ticketsync-<link id>`.
    public var text: String { "ticketsync-\(linkID)" }

    /// Mints the key's number from `sequence`: one per key, however often it is asked.
    static func mint(_ key: String, from sequence: String, db: PGConnection) throws -> String {
        try db.query(
            """
            INSERT INTO ticket_sync.minted_ticket_numbers (creation_key, number) VALUES ($1, nextval($2::regclass))
            ON CONFLICT (creation_key) DO UPDATE SET creation_key = excluded.creation_key
            RETURNING number
            """, [key, sequence]
        ).single("minted ticket number").string("number")
    }
}

/// What a new ticket is made from: the evidence request, the connection's field mapping rendered for it, and who
/// it is assigned to. Each tracker sends `fields` next to the fields it owns (its `Tracker.ownedFields`), adding
/// labels to its own rather than replacing them.
public struct TicketDraft: Sendable, Equatable {
    public var request: EvidenceRequest
    /// `settings.fields` (TICKET_FIELDS) rendered for this request, the tracker's due-date field included when the
    /// request has a due date and the mapping does not set the field.
    public var fields: [String: JSONValue] = [:]
    /// The tracker account the ticket is assigned to; nil: unassigned.
    public var assignee: String? = nil

    public init(request: EvidenceRequest, fields: [String: JSONValue] = [:], assignee: String? = nil) {
        self.request = request
        self.fields = fields
        self.assignee = assignee
    }
}

/// A tracker user looked up by e-mail (`settings.assignee = creator`).
public enum AccountLookup: Sendable, Equatable {
    case found(String)
    case notFound
}

/// A synthetic reply a provider reports back at once (only the mock does this).
public struct ExternalReply: Sendable, Equatable {
    public var externalCommentID: String
    public var author: String
    public var body: String
}

/// The one interface every tracker sits behind.
/// Creating a ticket is synchronous (the API answers with the link). Comments and closes are written to the
/// outbox first and handed to `deliver`, at once and again on retry, so every provider shares one sync mechanism.
public protocol TicketProvider: Sendable {
    var kind: ProviderKind { get }
    /// Opens a ticket for the evidence request, idempotently: when `key.resumed`, a ticket already made with `key`
    /// (by a create that died or failed before it could record it) is found and returned instead of a second one.
    /// Providers hold no database connection: what they need from the database (a minted number) comes with the key.
    func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket
    /// The tracker account with this e-mail, for `settings.assignee = creator` (remembered per connection by the
    /// registry's `AssigneeCache`). Throws a `TrackerError` when the tracker could not be asked.
    func account(email: String) throws -> AccountLookup
    /// The sequence the service mints this tracker's numbers from, when the tracker does not number its tickets
    /// itself; nil otherwise.
    var mintedSequence: String? { get }
    /// Asked before a resumed create, whose earlier attempt started `sinceAttempt` seconds ago: the seconds until
    /// this tracker's look-up surely finds a ticket that attempt made (its search lags), or nil to go ahead now.
    func resumeDelay(sinceAttempt: Double) throws -> Int?
    /// One attempt at an outbox event (`ticket.comment`, `ticket.close`, or `ticket.update`: a changed due date,
    /// see `OutboxEvent.dueDateUpdate`). Must not throw: every failure is an outcome.
    func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome
    /// Checked while the close request waits, before anything is marked closed: throws when the tracker can
    /// never close this ticket (e.g. a Jira workflow without a transition to done). Transient failures pass.
    func prepareClose(_ link: TicketLink) throws
    /// Asks the tracker whether this configuration works (the connection test), step by step.
    func checkConnection() -> [ConnectionCheck.Step]
    /// The fields the tracker requires on a new ticket without a default of its own (Jira's create metadata), for
    /// the connection test's preflight; nil when the tracker does not publish them. A failed read is a failed
    /// step, named as the connection test names its steps.
    func requiredFields() -> RequiredFieldsRead?
    /// How this tracker is swept; nil when it cannot be. `db` is for the mock alone, whose "tracker" lives in the
    /// service's own database; a real tracker's sweeper never touches it.
    func sweeper(reading db: PGConnection) -> (any TicketSweeper)?
}

extension TicketProvider {
    public var mintedSequence: String? { nil }

    public func requiredFields() -> RequiredFieldsRead? { nil }

    public func prepareClose(_ link: TicketLink) throws {}
    /// Most trackers' look-ups read what was written (ServiceNow's Table API, the adapter's event-id store).
    public func resumeDelay(sinceAttempt: Double) throws -> Int? { nil }
}

extension TicketProvider {
    /// A tracker without a sweep of its own cannot be swept (said in readiness and the sync-health view).
    public func sweeper(reading db: PGConnection) -> (any TicketSweeper)? { nil }
}
