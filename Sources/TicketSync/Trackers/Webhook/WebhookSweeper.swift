import Foundation
import TicketSyncPlatform

/// The generic webhook's sweep, through the adapter's optional endpoint (docs/webhooks.md, "Sweeps"):
/// `GET <url>/changes?since=<RFC 3339>&cursor=<opaque>` lists what changed on the tracker, and
/// `GET <url>/changes?external_id=<id>` one ticket as the tracker has it now. Every answer is signed like an inbound
/// webhook and verified on its raw bytes, under the connection's signature policy, before any JSON is decoded; an
/// adapter without the endpoint (404, 405, 501) cannot be swept.
struct WebhookSweeper: TicketSweeper {
    let url: URL
    /// Signs our requests (Standard Webhooks over the empty body): the first inbound secret, as for events.
    let signingSecret: String
    /// Verify the adapter's answers: every inbound secret, newest first (a rotation's previous one included).
    let secrets: [String]
    let policy: InboundSignaturePolicy
    let http: any OutboundHTTP
    let timeouts: HTTPTimeouts
    /// A fresh `webhook-id` per request.
    var newID: @Sendable () -> String = { UUID().uuidString.lowercased() }

    static let tracker = "The webhook adapter"
    /// Pages of one ticket a look-up reads at most (a ticket's comments may be paged too).
    static let lookupPages = 10

    func changes(since: Int64, page: String?) throws -> SweepPage {
        var query = [(name: "since", value: TrackerTime.iso8601(since))]
        if let page { query.append((name: "cursor", value: page)) }
        let action = "list its changes at GET …/changes"
        let answer = try read(try get(query, action: action), action: action)
        return SweepPage(tickets: answer.tickets, next: answer.next)
    }

    /// Every page of the ticket's changes (its current `tracker_status` and the comments written on the tracker); a
    /// signed 404 or 410 says the tracker no longer has it (an unsigned one proves nothing).
    func lookup(_ link: TicketLink) throws -> SweptTicket {
        var changes: [WebhookSweepAnswer.Change] = []
        var cursor: String?
        let action = "look up \(link.externalID) at GET …/changes?external_id="
        for _ in 0..<Self.lookupPages {
            var query = [(name: "external_id", value: link.externalID.rawValue)]
            if let cursor { query.append((name: "cursor", value: cursor)) }
            let result = try get(query, action: action)
            if result.status == 404 || result.status == 410, case .success = verify(result) {
                return .gone(link.externalID)
            }
            let answer = try read(result, action: action)
            if let other = answer.changes.first(where: { $0.event.externalID != link.externalID.rawValue }) {
                throw TrackerError(
                    tracker: Self.tracker, action: action,
                    reason: .failed("its answer lists another ticket, \(other.event.externalID)"))
            }
            changes += answer.changes
            guard let next = answer.next else {
                return WebhookSweepAnswer(changes: changes).tickets.first ?? SweptTicket(externalID: link.externalID)
            }
            cursor = next
        }
        throw TrackerError(
            tracker: Self.tracker, action: action, reason: .failed("its answer runs past \(Self.lookupPages) pages"))
    }

    /// One signed GET of `<url>/changes?<query>`; throws when no answer came.
    func get(_ query: [(name: String, value: String)], action: String) throws -> OutboundResult {
        guard let target = WebhookAdapterURL.changes(url, query: query) else {
            throw TrackerError(tracker: Self.tracker, action: action, reason: .unreachable("the URL cannot be built"))
        }
        let result = http.send(request(target), timeout: timeouts)
        guard result.status != nil else { throw Self.failure.apiError(result, action: action).lookupOnly }
        return result
    }

    /// The answer's signature, checked on its raw bytes as an inbound webhook's is.
    func verify(_ result: OutboundResult) -> Result<InboundSignaturePolicy.Verified, InboundRejection> {
        policy.verify(header: result.header, body: result.body, secrets: secrets)
    }

    /// A 2xx answer whose signature verifies, decoded (only then); every other answer throws.
    func read(_ result: OutboundResult, action: String) throws -> WebhookSweepAnswer {
        let status = result.status ?? 0
        if [404, 405, 501].contains(status) {
            throw SweepUnsupported(
                "The webhook adapter cannot be swept: it answers HTTP \(status) at GET …/changes (docs/webhooks.md).")
        }
        guard (200..<300).contains(status) else { throw Self.failure.apiError(result, action: action).lookupOnly }
        if case .failure(let rejection) = verify(result) {
            throw TrackerError(
                tracker: Self.tracker, action: action,
                reason: .failed("its answer is unsigned or badly signed: \(rejection.reason)"))
        }
        do {
            return try WebhookSweepAnswer.decode(result.body)
        } catch {
            let field = error.field.isEmpty ? "its answer" : "`\(error.field)`"
            throw TrackerError(tracker: Self.tracker, action: action, reason: .failed("\(field) \(error.rule)"))
        }
    }

    /// Standard Webhooks over the empty body (a GET has none): a fresh id and this moment, so the adapter can refuse
    /// a replayed request; `X-Signature` over an empty body would be the same string forever, so it is not sent.
    func request(_ target: URL, now: Int64 = StandardWebhookSignature.now()) -> OutboundRequest {
        let id = newID()
        return OutboundRequest(
            url: target, method: "GET",
            headers: [
                "Accept": "application/json",
                StandardWebhookSignature.idHeader: id,
                StandardWebhookSignature.timestampHeader: String(now),
                StandardWebhookSignature.signatureHeader: StandardWebhookSignature.signature(
                    secret: signingSecret, id: id, timestamp: now, body: []),
                "User-Agent": TicketSyncVersion.userAgent,
            ])
    }

    /// 429 and 503 back the sweep off by Retry-After; every other failure is the adapter's, in its status.
    static let failure = TrackerFailure(tracker: tracker, credentialStatuses: [], details: { _ in nil })
}
