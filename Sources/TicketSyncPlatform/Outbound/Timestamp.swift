import Foundation

/// RFC 3339 UTC timestamps with milliseconds, for event bodies.
public enum Timestamp {
    /// A value type, made once and shared by every thread (the class-based formatter was built per call).
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public static func string(_ date: Date = Date()) -> String {
        date.formatted(style)
    }
}
