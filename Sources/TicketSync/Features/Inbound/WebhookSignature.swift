import TicketSyncPlatform

/// `X-Signature: sha256=<hex HMAC-SHA256 over the raw body>`, the scheme of both directions.
public enum WebhookSignature {
    public enum Rejection: String, Sendable {
        case missing, malformed, mismatch
    }

    static let prefix = "sha256="

    public static func header(secret: String, body: [UInt8]) -> String {
        prefix + Hex.encode(Crypto.hmacSHA256(key: Array(secret.utf8), message: body))
    }

    /// Checks the header against every configured secret (rotation), comparing the decoded 32 bytes in constant time.
    /// Returns nil when one matches, else why not (for the log only: every rejection answers the same 401).
    public static func verify(header: String?, body: [UInt8], secrets: [String]) -> Rejection? {
        guard let header else { return .missing }
        guard header.hasPrefix(prefix), let matched = hexMatches(header.dropFirst(prefix.count), body, secrets)
        else { return .malformed }
        return matched ? nil : .mismatch
    }

    /// Whether `hex` (64 hex digits) is the HMAC-SHA256 of `body` under any of `secrets`, each compared in constant
    /// time (every secret is tried, so the time does not say which one matched); nil when it is not 64 hex digits.
    static func hexMatches(_ hex: Substring, _ body: [UInt8], _ secrets: [String]) -> Bool? {
        guard hex.utf8.count == 64, let given = Hex.decode(hex), given.count == 32 else { return nil }
        var matched = false
        for secret in secrets {
            let expected = Crypto.hmacSHA256(key: Array(secret.utf8), message: body)
            if Crypto.constantTimeEquals(expected, given) { matched = true }
        }
        return matched
    }
}
