import Foundation
import TicketSyncPlatform

/// Caps how many request threads of this process may wait on trackers at once: per tracker (per connection; per
/// provider kind for the deployment default), and per org across all of its connections, so neither one slow or
/// hanging tracker nor an org with many connections can occupy every thread. A request that finds no free slot does
/// not wait: it fails fast (create: 503 with Retry-After) or leaves the work to the delivery loop (a comment stays
/// `pending`). TICKET_TRACKER_CONCURRENCY sets the first cap (default 2), TICKET_TRACKER_ORG_CONCURRENCY the second
/// (default 4).
public final class TrackerBulkhead: @unchecked Sendable {
    public let limit: Int
    public let orgLimit: Int
    private let lock = NSLock()
    private var inUse: [String: Int] = [:]
    private var orgInUse: [String: Int] = [:]

    /// What one call holds: a slot of its tracker and, for an org's connection, one of the org's.
    public struct Slot: Hashable, Sendable {
        public var tracker: String
        /// nil for the deployment default (the operator's tracker, shared by every org: only its own cap applies).
        public var org: String?
    }

    public init(limit: Int, orgLimit: Int = Int.max) {
        self.limit = max(1, limit)
        self.orgLimit = max(1, orgLimit)
    }

    /// The slot of a tracker.
    public static func key(_ config: TrackerConfig) -> Slot {
        Slot(tracker: config.connectionID ?? "environment:\(config.kind.rawValue)", org: config.orgID)
    }

    /// Runs `body` holding `slot`; nil, without running it, when the tracker's or the org's slots are all taken.
    public func withSlot<T>(_ slot: Slot, _ body: () throws -> T) rethrows -> T? {
        let acquired = lock.withLock { () -> Bool in
            guard inUse[slot.tracker, default: 0] < limit else { return false }
            if let org = slot.org {
                guard orgInUse[org, default: 0] < orgLimit else { return false }
                orgInUse[org, default: 0] += 1
            }
            inUse[slot.tracker, default: 0] += 1
            return true
        }
        guard acquired else { return nil }
        defer {
            lock.withLock {
                Self.release(&inUse, slot.tracker)
                if let org = slot.org { Self.release(&orgInUse, org) }
            }
        }
        return try body()
    }

    private static func release(_ counts: inout [String: Int], _ key: String) {
        counts[key, default: 1] -= 1
        if counts[key] == 0 { counts[key] = nil }
    }
}

extension APIError {
    /// Every slot for this tracker (or for the org's trackers) is taken by requests still waiting on it.
    public static func trackerBusy(_ config: TrackerConfig) -> APIError {
        APIError(
            503, "provider-busy",
            "The \(config.kind.rawValue) tracker is still answering earlier requests; try again shortly.",
            title: "Ticket provider busy", headers: [("Retry-After", "2")])
    }
}
