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
        guard header.hasPrefix(prefix), header.utf8.count == prefix.utf8.count + 64,
            let given = Hex.decode(header.dropFirst(prefix.count)), given.count == 32
        else { return .malformed }
        var matched = false
        for secret in secrets {
            let expected = Crypto.hmacSHA256(key: Array(secret.utf8), message: body)
            if Crypto.constantTimeEquals(expected, given) { matched = true }
        }
        return matched ? nil : .mismatch
    }
}
