/// What a provider returns when it has opened a ticket.
public struct CreatedTicket: Sendable, Equatable {
    public var provider: String
    public var externalID: String
    public var externalURL: String
}

/// A synthetic reply a provider reports back at once (only the mock does this).
public struct ExternalReply: Sendable, Equatable {
    public var externalCommentID: String
    public var author: String
    public var body: String
}

/// What a provider returns when it has received an internal comment.
public struct PushedComment: Sendable, Equatable {
    public var externalCommentID: String
    public var echo: ExternalReply?
}

/// The one interface every tracker sits behind.
public protocol TicketProvider: Sendable {
    var kind: ProviderKind { get }
    /// Opens a ticket for the evidence request. `db` is the caller's connection, inside its transaction.
    func createTicket(for request: EvidenceRequest, db: PGConnection) throws -> CreatedTicket
    func closeTicket(_ link: TicketLink) throws
    func pushComment(_ comment: Comment, to link: TicketLink) throws -> PushedComment
}
