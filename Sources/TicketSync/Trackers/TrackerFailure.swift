import Foundation
import TicketSyncPlatform

/// How a tracker's failed HTTP answers become API errors (calls the user waits for) and delivery outcomes (outbox).
/// The tracker's own error text is passed through; secrets never are (they are only ever in request headers).
struct TrackerFailure: Sendable {
    /// "Jira", "ServiceNow".
    let tracker: String
    /// Statuses that mean the credentials were refused.
    let credentialStatuses: Set<Int>
    /// The tracker's error body in words, if it has one.
    let details: @Sendable (OutboundResult) -> String?
    /// The fields a 4xx answer blames, in the tracker's words (Jira's `errors`, ServiceNow's Data Policy); nil or
    /// empty when the refusal is not about fields.
    var fields: @Sendable (OutboundResult) -> [TrackerFieldProblem]? = { _ in nil }

    private func describe(_ result: OutboundResult) -> String {
        details(result).map { "HTTP \(result.status ?? 0): \($0)" } ?? result.summary
    }

    /// For a synchronous call: what failed, in the tracker's words (`TrackerError+HTTP` makes it a problem). When the
    /// tracker may have done it all the same (timeout, connection lost, 5xx), `outcomeUnknown` is set: a create then
    /// keeps its reservation, and a retry looks the ticket up first.
    func apiError(_ result: OutboundResult, action: String) -> TrackerError {
        TrackerError(
            tracker: tracker, action: action, reason: reason(result),
            outcomeUnknown: TrackerFailure.outcomeUnknown(result))
    }

    /// Whether a failed call may still have had its effect in the tracker.
    static func outcomeUnknown(_ result: OutboundResult) -> Bool {
        guard let status = result.status else {
            return result.summary.hasPrefix("timed out") || result.summary == "connection lost"
                || result.summary.hasPrefix("the response was larger")
        }
        return status >= 500 && status != 503
    }

    private func reason(_ result: OutboundResult) -> TrackerError.Reason {
        guard let status = result.status else {
            return result.summary.hasPrefix("timed out") ? .timedOut : .unreachable(result.summary)
        }
        if (400..<500).contains(status), let blamed = fields(result), !blamed.isEmpty { return .fieldsRefused(blamed) }
        if credentialStatuses.contains(status) { return .credentialsRejected(status) }
        if status == 429 || status == 503 {
            return .unavailable(
                describe(result), retryAfter: DeliveryPolicy.retryAfterSeconds(result.header("retry-after")))
        }
        return status >= 500 ? .failed(describe(result)) : .refused(describe(result))
    }

    /// For an outbox attempt: rate limits, server errors and silence are retried; refusals give up.
    func outcome(_ result: OutboundResult) -> DeliveryOutcome {
        guard let status = result.status else { return .retry(reason: result.summary, status: nil, retryAfter: nil) }
        if status == 429 || status == 503 {
            return .retry(
                reason: describe(result), status: status,
                retryAfter: DeliveryPolicy.retryAfterSeconds(result.header("retry-after")))
        }
        if status >= 500 { return .retry(reason: describe(result), status: status, retryAfter: nil) }
        if credentialStatuses.contains(status) {
            return .giveUp(reason: "\(tracker) rejected the credentials (HTTP \(status))", status: status)
        }
        if (300..<400).contains(status) {
            return .giveUp(
                reason: "HTTP \(status): redirects are not followed; check the \(tracker) base URL", status: status)
        }
        return .giveUp(reason: describe(result), status: status)
    }
}

/// Logs a message the first time only (per process), for conditions that would otherwise repeat on every call.
final class LogOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var said: Set<String> = []

    static let shared = LogOnce()

    func warning(_ message: String) {
        let first = lock.withLock { said.insert(message).inserted }
        if first { ServerLog.warning(message) }
    }
}
