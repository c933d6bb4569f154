import TicketSyncPlatform

/// When and how much the sweeps read (docs/reliability.md, "Sweeps").
public struct SweepPolicy: Sendable, Equatable {
    /// TICKET_SYNC_SWEEP_INTERVAL: how often each connection (and each deployment-default tracker) is swept.
    public var intervalSeconds = 900
    /// TICKET_SYNC_POLL_INTERVAL: how often a poll-only connection (`inbound_mode: poll`) is swept.
    public var pollIntervalSeconds = 120
    /// TICKET_SYNC_SWEEP_OVERLAP: how far before its cursor a sweep reads again. Jira's JQL compares times to the
    /// minute, in the caller's time zone, and clocks differ: the overlap covers both, and de-duplication makes the
    /// re-read harmless.
    public var overlapSeconds = 300
    /// TICKET_SYNC_SWEEP_PAGES: pages of changes one sweep of one connection reads at most; past it, the cursor
    /// moves to the last change read and the connection is due again at once (after other due work).
    public var pageBudget = 10
    /// TICKET_SYNC_SWEEP_LOOKUPS: tickets one sweep looks up one by one, least recently looked up first (how a
    /// deletion is found: a search lists only tickets that still exist).
    public var lookupBudget = 20
    /// A failed sweep is tried again after 30 s, then twice as long each time, up to the interval.
    static let firstRetrySeconds = 30
    /// "Re-sync now" of one connection, or of one evidence request's ticket, at most this often.
    public var resyncEverySeconds = 10
    /// TICKET_SYNC_DUE_DATE_INTERVAL: how often the host's due dates are compared with the tickets' (`DueDateWatch`).
    public var dueDateWatchSeconds = 60

    public init() {}

    /// The interval of a connection in `inbound_mode`.
    func interval(poll: Bool) -> Int { poll ? pollIntervalSeconds : intervalSeconds }

    /// The wait before retrying after `failures` failed sweeps in a row.
    func retrySeconds(failures: Int, poll: Bool) -> Int {
        let doubled = Self.firstRetrySeconds << min(max(failures - 1, 0), 16)
        return min(doubled, interval(poll: poll))
    }

    /// `900`, `900s`, `15m` or `1h`; nil for anything else (or zero).
    static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("h", 3600), ("m", 60), ("s", 1)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let number = Int(trimmed.dropLast()), number > 0, number <= 7 * 86400 / factor else { return nil }
            return number * factor
        }
        guard let number = Int(trimmed), number > 0, number <= 7 * 86400 else { return nil }
        return number
    }
}
