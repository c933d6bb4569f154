import Dispatch
import Foundation
import TicketSyncPlatform

/// The Jira account Ticket Sync acts as (`GET /rest/api/2/myself`): comments it authored are never imported back.
public struct JiraIdentity: Sendable, Equatable {
    /// Cloud.
    public var accountID: String?
    /// Data Center.
    public var name: String?
    public var key: String?
    /// The account's time zone (`Europe/Berlin`): JQL reads the times a sweep searches by in it.
    public var timeZone: String? = nil

    /// Whether a webhook's `comment.author` is this account.
    func matches(_ author: JSONValue?) -> Bool {
        guard let author else { return false }
        if let id = accountID, author["accountId"]?.stringValue == id { return true }
        if let name, author["name"]?.stringValue == name { return true }
        if let key, author["key"]?.stringValue == key { return true }
        return false
    }
}

/// Fetched once per process and connection version, then kept. The fetch runs on a request thread (an inbound
/// webhook), so it holds a bulkhead slot of the tracker like every other call there: with no free slot it is not
/// made at all. A failed fetch is remembered for `failureSeconds` (a negative cache), so a hanging or refusing
/// `/myself` is not asked again on every webhook.
final class JiraIdentityCache: @unchecked Sendable {
    static let failureSeconds: UInt64 = 30

    private let bulkhead: TrackerBulkhead?
    private let slot: TrackerBulkhead.Slot?
    private let lock = NSLock()
    private var identity: JiraIdentity?
    private var failedAt: UInt64?

    init(bulkhead: TrackerBulkhead? = nil, slot: TrackerBulkhead.Slot? = nil) {
        self.bulkhead = bulkhead
        self.slot = slot
    }

    /// The identity, if it was fetched already (nothing is asked).
    var known: JiraIdentity? { lock.withLock { identity } }

    /// Keeps an identity fetched elsewhere (a sweep asks `/myself` itself, to see why it failed).
    func remember(_ fetched: JiraIdentity) { lock.withLock { identity = identity ?? fetched } }

    /// The identity, or nil when it is unknown for now (the fetch failed lately, or the tracker's slots are taken).
    func get(_ fetch: () -> JiraIdentity?) -> JiraIdentity? {
        let now = DispatchTime.now().uptimeNanoseconds
        let remembered = lock.withLock { () -> (JiraIdentity?, Bool) in
            let failedLately = failedAt.map { now &- $0 < Self.failureSeconds * 1_000_000_000 } ?? false
            return (identity, failedLately)
        }
        if let known = remembered.0 { return known }
        if remembered.1 { return nil }
        let attempted: JiraIdentity??
        if let bulkhead, let slot { attempted = bulkhead.withSlot(slot, fetch) } else { attempted = fetch() }
        // No slot: nothing was asked, so there is no failure to remember.
        guard let fetched = attempted else { return nil }
        lock.withLock {
            if let fetched { identity = identity ?? fetched } else { failedAt = DispatchTime.now().uptimeNanoseconds }
        }
        return fetched
    }
}
