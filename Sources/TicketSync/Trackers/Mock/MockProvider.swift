/// The self-contained demo provider: mints `mock-TCK-<n>` and echoes a reply to every comment.
/// It contacts no external system, and always succeeds at once.
public struct MockProvider: TicketProvider {
    public let kind = ProviderKind.mock
    /// Deep links point here; `.invalid` makes clear no real tracker stands behind them.
    static let browseBase = "https://mock-tracker.invalid/browse/"

    public init() {}

    public let mintedSequence: String? = "ticket_sync.mock_ticket_number"

    public func createTicket(for request: EvidenceRequest, key: CreationKey) throws -> CreatedTicket {
        guard let number = key.mintedNumber else { throw APIError.internalError }  // minted by the use case
        let externalID = "mock-TCK-\(number)"
        return CreatedTicket(
            provider: kind.rawValue, externalID: ExternalTicketID(externalID), externalURL: Self.browseBase + externalID
        )
    }

    public func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        guard event.eventType == .comment, let commentID = event.commentID else {
            return .delivered(externalCommentID: nil, echo: nil)
        }
        let text = event.payload["comment"]?["body"]?.stringValue ?? ""
        let echo = ExternalReply(
            externalCommentID: "\(event.externalID)-echo-\(commentID)",
            author: "\(event.externalID) (ext)",
            body: "Received on \(event.externalID): \(text)")
        return .delivered(externalCommentID: "\(event.externalID)-c\(commentID)", echo: echo)
    }
}
