/// What a provider returns when it has opened a ticket.
public struct CreatedTicket: Sendable, Equatable {
    public var provider: String
    public var externalID: String
    /// The deep link; nil when the tracker gave none.
    public var externalURL: String?
    /// The tracker's internal id when it differs from the human one (Jira issue id, ServiceNow sys_id).
    public var externalRef: String? = nil
}

/// The idempotency key of one create: derived from the link it reserved, the same on every attempt to complete it.
public struct CreationKey: Sendable, Equatable {
    public let linkID: String

    public init(linkID: String) { self.linkID = linkID }

    /// As a tracker label, correlation id or minted-number key: `ticketsync-<link id>`.
    public var text: String { "ticketsync-\(linkID)" }

    /// The number the service mints for this key from `sequence` (mock-TCK-<n>, wh-<n>): one per key, however often
    /// it is asked.
    func mintedNumber(_ sequence: String, db: PGConnection) throws -> String {
        try db.query(
            """
            INSERT INTO ticket_sync.minted_ticket_numbers (creation_key, number) VALUES ($1, nextval($2::regclass))
            ON CONFLICT (creation_key) DO UPDATE SET creation_key = excluded.creation_key
            RETURNING number
            """, [text, sequence]
        ).single("minted ticket number").string("number")
    }
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
    /// Opens a ticket for the evidence request, idempotently: a ticket already made with `key` (by a create that
    /// died before it could record it) is found and returned instead of a second one. `db` is the caller's
    /// connection (no transaction is open).
    func createTicket(for request: EvidenceRequest, key: CreationKey, db: PGConnection) throws -> CreatedTicket
    /// One attempt at an outbox event (`ticket.comment` or `ticket.close`). Must not throw: every failure is an outcome.
    func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome
    /// Checked while the close request waits, before anything is marked closed: throws when the tracker can
    /// never close this ticket (e.g. a Jira workflow without a transition to done). Transient failures pass.
    func prepareClose(_ link: TicketLink) throws
    /// Asks the tracker whether this configuration works (the connection test), step by step.
    func checkConnection() -> [ConnectionCheck.Step]
}

extension TicketProvider {
    public func prepareClose(_ link: TicketLink) throws {}
}
