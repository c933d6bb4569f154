import Foundation

/// What a process remembers about one tracker (Jira's own account; Cloud or Data Center): one entry per tracker
/// (a connection's id, or a key of the deployment default's), holding the value of its current version only, so
/// an edited connection replaces its old entry instead of adding one. At most `capacity` trackers are kept: the
/// least recently used one goes first. Keyed by connection, never by anything two orgs could share, so one org's
/// answer never decides another's.
final class TrackerCache<Value: AnyObject>: @unchecked Sendable {
    private struct Entry {
        var version: String
        var value: Value
        var used: UInt64
    }

    let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Trackers remembered now.
    var count: Int { lock.withLock { entries.count } }

    /// The tracker's value for this version; a new one (from `make`) when it has none or one of another version.
    func value(tracker: String, version: String, make: () -> Value) -> Value {
        lock.withLock {
            clock &+= 1
            if var entry = entries[tracker], entry.version == version {
                entry.used = clock
                entries[tracker] = entry
                return entry.value
            }
            let value = make()
            entries[tracker] = Entry(version: version, value: value, used: clock)
            // Only a new tracker can overflow, by one: scanning for the oldest then is cheap enough at this size.
            if entries.count > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
                entries[oldest] = nil
            }
            return value
        }
    }
}
