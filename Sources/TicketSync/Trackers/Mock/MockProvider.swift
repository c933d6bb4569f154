import TicketSyncPlatform

/// The self-contained demo provider: mints `mock-TCK-<n>` and echoes a reply to every comment.
/// It contacts no external system, and always succeeds at once.
public struct MockProvider: TicketProvider {
    public let kind = ProviderKind.mock
    /// Deep links point here; `.invalid` makes clear no real tracker stands behind them.
    static let browseBase = "https://mock-tracker.invalid/browse/"

    public init() {}

    public let mintedSequence: String? = "ticket_sync.mock_ticket_number"

    public func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket {
        guard let number = key.mintedNumber else { throw APIError.internalError }  // minted by the use case
        let externalID = "mock-TCK-\(number)"
        return CreatedTicket(
            provider: kind.rawValue, externalID: ExternalTicketID(externalID), externalURL: Self.browseBase + externalID
        )
    }

    /// Everyone has an account in the demo tracker: `creator` assigns the requester's e-mail itself.
    public func account(email: String) throws -> AccountLookup { .found(email) }

    public func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        guard event.eventType == .comment, let commentID = event.commentID else {
            return .delivered(externalCommentID: nil, echo: nil)
        }
        let text = event.payload["comment"]?["body"]?.stringValue ?? ""
        let echo = Self.echo(externalID: event.externalID, commentID: String(commentID), text: text)
        // The demo's lost webhook: the echo happens on "the tracker" (its sweep finds it) but is not reported now.
        let dropped = text.contains(Self.dropEchoMarker)
        return .delivered(externalCommentID: "\(event.externalID)-c\(commentID)", echo: dropped ? nil : echo)
    }

    /// A comment containing this is echoed on the mock's side without telling the service (a webhook lost), so
    /// the next sweep, or "Re-sync now", repairs it (docs/trackers/mock.md).
    public static let dropEchoMarker = "#drop-echo"

    /// The mock's reply to one of our comments: the same whether reported at once or found by a sweep.
    static func echo(externalID: ExternalTicketID, commentID: String, text: String) -> ExternalReply {
        ExternalReply(
            externalCommentID: "\(externalID)-echo-\(commentID)", author: "\(externalID) (ext)",
            body: "Received on \(externalID): \(text)")
    }

    public func sweeper(reading db: PGConnection) -> (any TicketSweeper)? { MockSweeper(db: db) }
}
