import Foundation
import TicketSyncPlatform

/// The generic provider: every event is an HMAC-signed JSON POST to TICKET_WEBHOOK_URL.
/// Receivers verify `X-Signature` over the raw body and de-duplicate on `X-Event-Id`.
public struct WebhookProvider: TicketProvider {
    public let kind = ProviderKind.webhook
    let url: URL
    /// The first configured secret signs; the others are accepted inbound only (rotation).
    let signingSecret: String
    let http: any OutboundHTTP
    let timeouts: HTTPTimeouts
    let linkBack: @Sendable (EvidenceRequest) -> String?
    /// Verify the adapter's signed answers to a sweep, as its inbound events are verified.
    var inboundSecrets: [String] = []
    var signaturePolicy = InboundSignaturePolicy.any

    /// Synchronous: mints `wh-<n>`, sends `ticket.create`, and takes `external_id`/`external_url` from a JSON 2xx answer.
    /// Idempotent toward the adapter: every attempt for one reservation sends the same `X-Event-Id` (the link's id)
    /// and the same minted `wh-<n>`, so an adapter that de-duplicates on the event id makes one ticket.
    public let mintedSequence: String? = "ticket_sync.webhook_ticket_number"

    public func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket {
        let request = draft.request
        guard let number = key.mintedNumber else { throw APIError.internalError }  // minted by the use case
        let minted = "wh-\(number)"
        let eventID = key.linkID
        let body = EventPayload.create(
            eventID: eventID.rawValue, occurredAt: Timestamp.string(), externalID: minted,
            request: request, link: linkBack(request), fields: draft.fields, assignee: draft.assignee)
        let result = send(
            type: OutboxEvent.EventType.create.rawValue, eventID: eventID.rawValue, body: Array(body.text.utf8),
            timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status) else {
            throw TrackerError(
                tracker: "The webhook endpoint", action: "ticket.create", reason: .notAccepted(result.summary),
                outcomeUnknown: TrackerFailure.outcomeUnknown(result))
        }
        let answer = result.jsonObject
        return try CreatedTicket(
            provider: kind.rawValue, externalID: ExternalTicketID(Self.externalID(answer?["external_id"]) ?? minted),
            externalURL: Self.externalURL(answer?["external_url"]))
    }

    /// The adapter is the one to find a user by e-mail: `assignee` in `ticket.create` carries the e-mail itself.
    public func account(email: String) throws -> AccountLookup { .found(email) }

    /// Through the adapter's optional `GET <url>/changes` (docs/webhooks.md, "Sweeps").
    public func sweeper(reading db: PGConnection) -> (any TicketSweeper)? { sweeper }

    var sweeper: WebhookSweeper {
        WebhookSweeper(
            url: url, signingSecret: signingSecret, secrets: inboundSecrets, policy: signaturePolicy, http: http,
            timeouts: timeouts)
    }

    public func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        let result = send(
            type: event.eventType.rawValue, eventID: event.eventID, body: Array(event.body.utf8), timeouts: timeouts)
        return Self.outcome(of: result)
    }

    /// 2xx delivered; 410 gives up; everything else (3xx, 4xx, 5xx, no answer) is retried, honouring Retry-After.
    static func outcome(of result: OutboundResult) -> DeliveryOutcome {
        guard let status = result.status else { return .retry(reason: result.summary, status: nil, retryAfter: nil) }
        switch status {
        case 200..<300:
            return .delivered(externalCommentID: result.jsonObject?["external_comment_id"]?.stringValue, echo: nil)
        case 410:
            return .giveUp(reason: "HTTP 410 Gone: the endpoint no longer accepts events", status: status)
        default:
            let retryAfter =
                (status == 429 || status == 503) ? DeliveryPolicy.retryAfterSeconds(result.header("retry-after")) : nil
            return .retry(reason: result.summary, status: status, retryAfter: retryAfter)
        }
    }

    /// Signed both ways: `X-Signature` over the body, and Standard Webhooks over id, this attempt's time and body
    /// (`webhook-id` is the event id, the same on every retry; `webhook-timestamp` is new on each attempt).
    func send(
        type: String, eventID: String, body: [UInt8], timeouts: HTTPTimeouts,
        now: Int64 = StandardWebhookSignature.now()
    ) -> OutboundResult {
        http.send(
            OutboundRequest(
                url: url, method: "POST",
                headers: [
                    "Content-Type": "application/json",
                    "X-Signature": WebhookSignature.header(secret: signingSecret, body: body),
                    "X-Event-Type": type,
                    "X-Event-Id": eventID,
                    StandardWebhookSignature.idHeader: eventID,
                    StandardWebhookSignature.timestampHeader: String(now),
                    StandardWebhookSignature.signatureHeader: StandardWebhookSignature.signature(
                        secret: signingSecret, id: eventID, timestamp: now, body: body),
                    "User-Agent": TicketSyncVersion.userAgent,
                ], body: body), timeout: timeouts)
    }
}
