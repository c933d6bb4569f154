import Foundation
import TicketSync
import TicketSyncPlatform

/// An outbound client that sends nothing: it records every request and answers as the test scripts it, with one
/// fixed answer (`answer`) or per request (`script`, which sees the request and how many came before it).
public final class RecordingHTTP: OutboundHTTP, @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [OutboundRequest] = []
    private var fixed: OutboundResult = .response(status: 200, headers: [:], body: [])
    private var scripted: (@Sendable (OutboundRequest, Int) -> OutboundResult)?

    public init() {}

    /// Every request sent, in order.
    public var sent: [OutboundRequest] { lock.withLock { requests } }

    /// The answer to every request when no `script` is set.
    public var answer: OutboundResult {
        get { lock.withLock { fixed } }
        set { lock.withLock { fixed = newValue } }
    }

    /// Answers each request from the request and its index (0 for the first ever sent); called outside the lock,
    /// so a script may itself do slow or re-entrant work (start a concurrent create, say).
    public var script: (@Sendable (OutboundRequest, Int) -> OutboundResult)? {
        get { lock.withLock { scripted } }
        set { lock.withLock { scripted = newValue } }
    }

    public func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        let (index, script, answer) = lock.withLock {
            () -> (Int, (@Sendable (OutboundRequest, Int) -> OutboundResult)?, OutboundResult) in
            requests.append(request)
            return (requests.count - 1, scripted, fixed)
        }
        return script?(request, index) ?? answer
    }
}
