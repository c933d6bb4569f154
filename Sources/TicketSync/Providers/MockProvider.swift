/// The self-contained demo provider: mints `mock-TCK-<n>` and echoes a reply to every comment.
/// It contacts no external system.
public struct MockProvider: TicketProvider {
    public let kind = ProviderKind.mock
    /// Deep links point here; `.invalid` makes clear no real tracker stands behind them.
    static let browseBase = "https://mock-tracker.invalid/browse/"

    public init() {}

    public func createTicket(for request: EvidenceRequest, db: PGConnection) throws -> CreatedTicket {
        let number = try db.query("SELECT nextval('ticket_sync.mock_ticket_number') AS n").first!.string("n")
        let externalID = "mock-TCK-\(number)"
        return CreatedTicket(provider: kind.rawValue, externalID: externalID, externalURL: Self.browseBase + externalID)
    }

    public func closeTicket(_ link: TicketLink) throws {}

    public func pushComment(_ comment: Comment, to link: TicketLink) throws -> PushedComment {
        let echo = ExternalReply(
            externalCommentID: "\(link.externalID)-echo-\(comment.id)",
            author: "\(link.externalID) (ext)",
            body: "Received on \(link.externalID): \(comment.body)")
        return PushedComment(externalCommentID: "\(link.externalID)-c\(comment.id)", echo: echo)
    }
}
