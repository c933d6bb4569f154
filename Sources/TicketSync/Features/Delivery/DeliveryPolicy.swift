import Foundation

/// When to try an outbound event again: exponential backoff with full jitter, `Retry-After` honoured,
/// and a limit on attempts after which the event is marked failed.
public struct DeliveryPolicy: Sendable, Equatable {
    public var baseMilliseconds: Int
    public var capSeconds: Int
    public var maxAttempts: Int

    public init(baseMilliseconds: Int = 1000, capSeconds: Int = 3600, maxAttempts: Int = 12) {
        self.baseMilliseconds = baseMilliseconds
        self.capSeconds = capSeconds
        self.maxAttempts = maxAttempts
    }

    /// The largest wait after `attempt` failed attempts: min(cap, base · 2^(attempt-1)).
    public func ceilingMilliseconds(afterAttempt attempt: Int) -> Int {
        let cap = capSeconds * 1000
        let doublings = max(0, attempt - 1)
        guard doublings < 40 else { return cap }
        return min(cap, baseMilliseconds.multipliedReportingOverflow(by: 1 << doublings).partialValue)
    }

    /// The longest Retry-After honoured, so a broken server cannot park an event for years.
    public static let maxRetryAfterSeconds = 86_400

    /// Full jitter: uniformly in [0, ceiling]. A server's Retry-After wins when given (up to a day).
    public func delayMilliseconds(
        afterAttempt attempt: Int, retryAfterSeconds: Int?,
        random: (ClosedRange<Int>) -> Int = { Int.random(in: $0) }
    ) -> Int {
        if let retryAfterSeconds { return min(max(0, retryAfterSeconds), Self.maxRetryAfterSeconds) * 1000 }
        return random(0...ceilingMilliseconds(afterAttempt: attempt))
    }

    public func givesUp(afterAttempt attempt: Int) -> Bool { attempt >= maxAttempts }

    /// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); nil when absent or unreadable.
    public static func retryAfterSeconds(_ value: String?, now: Date = Date()) -> Int? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return max(0, seconds) }  // trap-safe: Int(String) answers nil, never traps
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        // Clamped to a year before the conversion, which could otherwise trap on an absurd date.
        let seconds = min(max(date.timeIntervalSince(now).rounded(.up), 0), 366 * 86_400)
        return Int(exactly: seconds) ?? 0
    }
}
