import Foundation

/// The JQL a Jira sweep searches with, and Jira's times both ways. JQL compares dates to the minute, in the time zone
/// of the account that searches (its profile's `timeZone`, which `/myself` gives); Jira's answers carry full times
/// with their offset (`2026-01-17T12:34:56.789+0100`).
enum JiraSweepQuery {
    /// The label every issue Ticket Sync creates carries (besides its creation key `ticketsync-<link id>`): what
    /// bounds a sweep's search to our issues.
    static let label = "ticketsync"

    /// Our issues in the project that changed at or after `since` (epoch ms), oldest change first.
    static func jql(project: String, since: Int64, zone: TimeZone?) -> String {
        "project = \"\(project)\" AND labels = \"\(label)\" AND updated >= \"\(time(since, zone: zone))\""
            + " ORDER BY updated ASC"
    }

    /// JQL's earliest minute that still covers `milliseconds` (`yyyy/MM/dd HH:mm`, rounded down), as the account's
    /// zone reads it. Without a zone we can read, the time is written as UTC less 12 hours: however Jira reads it
    /// (zones run from UTC−12 to UTC+14) it is no later than `milliseconds`. Near a daylight-saving change, an hour
    /// earlier (a wall time there can be ambiguous). Reading more than changed is harmless: a sweep de-duplicates.
    static func time(_ milliseconds: Int64, zone: TimeZone?) -> String {
        let seconds = Double(milliseconds) / 1000
        guard let zone else { return wallTime(seconds - 12 * 3600, zone: utc) }
        let nearChange =
            zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: seconds - 3 * 3600))
            .map { $0.timeIntervalSince1970 <= seconds + 3600 } ?? false
        return wallTime(nearChange ? seconds - 3600 : seconds, zone: zone)
    }

    /// The account's zone, when Jira named one this system knows.
    static func zone(_ identifier: String?) -> TimeZone? {
        identifier.flatMap { $0.isEmpty ? nil : TimeZone(identifier: $0) }
    }

    private static let utc = TimeZone(secondsFromGMT: 0) ?? .current

    private static func wallTime(_ seconds: Double, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: seconds))
        let two = { (value: Int?) in String(format: "%02d", value ?? 0) }
        return "\(String(format: "%04d", parts.year ?? 1970))/\(two(parts.month))/\(two(parts.day))"
            + " \(two(parts.hour)):\(two(parts.minute))"
    }

    /// Jira's `updated` and `created` (`2026-01-17T12:34:56.789+0100`, or with `Z` or `+01:00`) in epoch ms.
    static func milliseconds(_ text: String) -> Int64? {
        var normalized = text.trimmingCharacters(in: .whitespaces)
        // `+0100` → `+01:00`, which ISO 8601 parsing takes.
        let scalars = Array(normalized.unicodeScalars)
        if scalars.count > 5 {
            let offset = scalars.suffix(5)
            if let sign = offset.first, sign == "+" || sign == "-",
                offset.dropFirst().allSatisfy({ CharacterSet.decimalDigits.contains($0) })
            {
                normalized = String(normalized.dropLast(2)) + ":" + String(normalized.suffix(2))
            }
        }
        return TrackerTime.milliseconds(normalized)
    }
}
