import Foundation

/// A ticket's status as its tracker reports it, normalised: its name, its category (Jira's status categories;
/// ServiceNow states fall into them), and when the tracker changed it, which orders the events.
public struct TrackerStatusChange: Sendable, Equatable {
    public enum Category: String, Sendable, CaseIterable {
        case new, indeterminate, done
    }

    public var name: String
    public var category: Category
    /// ServiceNow's state value (`6`), when the tracker has one.
    public var state: String?
    /// The tracker's time of the change, in milliseconds since 1970: an event older than the link's last one is
    /// ignored.
    public var milliseconds: Int64
    /// Who made the change, as the tracker names them.
    public var actor: String?

    /// ServiceNow's incident states: New (1) is new; Resolved (6), Closed (7) and Canceled (8) are done (the record
    /// is finished either way; map `8=keep` to leave a cancelled one's evidence request as it is); the others are
    /// in progress.
    public static func serviceNowCategory(state: String) -> Category {
        switch state.trimmingCharacters(in: .whitespaces) {
        case "1": .new
        case "6", "7", "8": .done
        default: .indeterminate
        }
    }

    /// The system entry's text in the thread: "Resolved in Jira by Dana (Done)" for any move into done (also when
    /// the link was already closed here), "Reopened in …" when it reopens the link, else "Moved to … in …".
    func summary(tracker: String, reopens: Bool) -> String {
        let by = actor.map { " by \($0)" } ?? ""
        if category == .done { return "Resolved in \(tracker)\(by) (\(name))" }
        if reopens { return "Reopened in \(tracker)\(by) (\(name))" }
        return "Moved to \(name) in \(tracker)\(by)"
    }
}

/// Times as trackers send them.
enum TrackerTime {
    /// Epoch milliseconds as ISO 8601 in UTC with milliseconds (`2026-11-30T12:00:00.000Z`).
    static func iso8601(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// ISO 8601 with or without fractional seconds (`2026-11-30T12:00:00Z`, `…+01:00`), or ServiceNow's
    /// `yyyy-MM-dd HH:mm:ss` (UTC, as `getValue('sys_updated_on')` gives it).
    static func milliseconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 40 else { return nil }
        let parsers: [(String) -> Date?] = [
            { try? Date($0, strategy: .iso8601) },
            { try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) },
            { try? Date($0.replacingOccurrences(of: " ", with: "T") + "Z", strategy: .iso8601) },
        ]
        for parse in parsers {
            if let date = parse(trimmed) {
                let value = (date.timeIntervalSince1970 * 1000).rounded()
                // Years 1970 to 9999 only (never a trapping conversion).
                guard value >= 0, value < 253_402_300_800_000 else { return nil }
                return Int64(value)  // trap-safe: bounded just above
            }
        }
        return nil
    }
}
