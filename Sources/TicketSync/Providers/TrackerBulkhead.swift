import Foundation

/// Caps how many request threads of this process may wait on one tracker at once (per connection; per provider kind
/// for the deployment default), so one org's slow or hanging tracker can never occupy every thread. A request that
/// finds no free slot does not wait: it fails fast (create: 503 with Retry-After) or leaves the work to the delivery
/// loop (a comment stays `pending`). TICKET_TRACKER_CONCURRENCY sets the cap (default 2).
public final class TrackerBulkhead: @unchecked Sendable {
    public let limit: Int
    private let lock = NSLock()
    private var inUse: [String: Int] = [:]

    public init(limit: Int) { self.limit = max(1, limit) }

    /// The slot key of a tracker.
    public static func key(_ config: TrackerConfig) -> String {
        config.connectionID ?? "environment:\(config.kind.rawValue)"
    }

    /// Runs `body` holding a slot of `key`; nil, without running it, when every slot is taken.
    public func withSlot<T>(_ key: String, _ body: () throws -> T) rethrows -> T? {
        let acquired = lock.withLock { () -> Bool in
            guard inUse[key, default: 0] < limit else { return false }
            inUse[key, default: 0] += 1
            return true
        }
        guard acquired else { return nil }
        defer {
            lock.withLock {
                inUse[key, default: 1] -= 1
                if inUse[key] == 0 { inUse[key] = nil }
            }
        }
        return try body()
    }
}

extension APIError {
    /// Every slot for this tracker is taken by requests still waiting on it.
    public static func trackerBusy(_ config: TrackerConfig) -> APIError {
        APIError(
            503, "provider-busy",
            "The \(config.kind.rawValue) tracker is still answering earlier requests; try again shortly.",
            title: "Ticket provider busy", headers: [("Retry-After", "2")])
    }
}
