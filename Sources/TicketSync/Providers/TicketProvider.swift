/// What a provider returns when it has opened a ticket.
public struct CreatedTicket: Sendable, Equatable {
    public var provider: String
    public var externalID: String
    /// The deep link; nil when the tracker gave none.
    public var externalURL: String?
    /// The tracker's internal id when it differs from the human one (Jira issue id, ServiceNow sys_id).
    public var externalRef: String? = nil
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
    /// Opens a ticket for the evidence request. `db` is the caller's connection (no transaction is open).
    func createTicket(for request: EvidenceRequest, db: PGConnection) throws -> CreatedTicket
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
