import Foundation

/// How a tracker's failed HTTP answers become API errors (calls the user waits for) and delivery outcomes (outbox).
/// The tracker's own error text is passed through; secrets never are (they are only ever in request headers).
struct TrackerFailure: Sendable {
    /// "Jira", "ServiceNow".
    let tracker: String
    /// Statuses that mean the credentials were refused.
    let credentialStatuses: Set<Int>
    /// The tracker's error body in words, if it has one.
    let details: @Sendable (OutboundResult) -> String?

    private func describe(_ result: OutboundResult) -> String {
        details(result).map { "HTTP \(result.status ?? 0): \($0)" } ?? result.summary
    }

    /// For a synchronous call: 502 (refused or broken), 503 (rate-limited or unavailable), 504 (timed out).
    /// When the tracker may have done it all the same (timeout, connection lost, 5xx), the problem says
    /// `"tracker_outcome": "unknown"`: a create then keeps its reservation, and a retry looks the ticket up first.
    func apiError(_ result: OutboundResult, action: String) -> APIError {
        var error = definiteError(result, action: action)
        if TrackerFailure.outcomeUnknown(result) { error.problem.extensions["tracker_outcome"] = .string("unknown") }
        return error
    }

    /// Whether a failed call may still have had its effect in the tracker.
    static func outcomeUnknown(_ result: OutboundResult) -> Bool {
        guard let status = result.status else {
            return result.summary.hasPrefix("timed out") || result.summary == "connection lost"
                || result.summary.hasPrefix("the response was larger")
        }
        return status >= 500 && status != 503
    }

    private func definiteError(_ result: OutboundResult, action: String) -> APIError {
        guard let status = result.status else {
            if result.summary.hasPrefix("timed out") {
                return APIError(504, "provider-timeout", "\(tracker) did not answer in time while trying to \(action).")
            }
            return APIError(
                502, "provider-unreachable", "\(tracker) could not be reached to \(action): \(result.summary).")
        }
        if credentialStatuses.contains(status) {
            return APIError(
                502, "provider-credentials-rejected",
                "\(tracker) rejected the credentials (HTTP \(status)); check the API token and account.")
        }
        if status == 429 || status == 503 {
            let retryAfter = DeliveryPolicy.retryAfterSeconds(result.header("retry-after"))
            return APIError(
                503, "provider-unavailable",
                "\(tracker) is busy or unavailable (\(describe(result))); try again later.",
                headers: retryAfter.map { [("Retry-After", String($0))] } ?? [])
        }
        if status >= 500 {
            return APIError(502, "provider-error", "\(tracker) failed to \(action) (\(describe(result))).")
        }
        return APIError(502, "provider-rejected-request", "\(tracker) refused to \(action) (\(describe(result))).")
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

extension APIError {
    /// A failed look-up creates nothing: whatever happened to the call, its outcome is not in doubt.
    var lookupOnly: APIError {
        var error = self
        error.problem.extensions["tracker_outcome"] = nil
        return error
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
