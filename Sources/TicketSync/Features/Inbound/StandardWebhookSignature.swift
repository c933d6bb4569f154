import Foundation
import TicketSyncPlatform

/// Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix seconds) and
/// `webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<raw body>">`, space-separated when several
/// secrets sign (rotation). Sent next to `X-Signature` on every outbound event, and accepted inbound instead of it.
public enum StandardWebhookSignature {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"
    /// The reference libraries' tolerance, both ways.
    public static let tolerance: Int64 = 5 * 60
    static let maxIDLength = 255
    static let maxSignatures = 8

    public enum Rejection: String, Error, Sendable {
        case missing, malformed, mismatch, timestamp
    }

    /// The HMAC key of a secret: a `whsec_` secret is base64 after its prefix, as the spec defines it (padding
    /// optional); any other secret (ours are 64 hex digits) is used as its UTF-8 bytes, the same key as X-Signature's.
    public static func key(_ secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_") {
            var encoded = String(secret.dropFirst(6))
            encoded += String(repeating: "=", count: (4 - encoded.utf8.count % 4) % 4)
            if let data = Data(base64Encoded: encoded), !data.isEmpty { return [UInt8](data) }
        }
        return Array(secret.utf8)
    }

    /// The current unix time in whole seconds.
    public static func now() -> Int64 { Int64(exactly: Date().timeIntervalSince1970.rounded(.down)) ?? 0 }

    /// `v1,<base64>` for one attempt of one event.
    public static func signature(secret: String, id: String, timestamp: Int64, body: [UInt8]) -> String {
        "v1," + Data(digest(key: key(secret), id: id, timestamp: timestamp, body: body)).base64EncodedString()
    }

    static func digest(key: [UInt8], id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        Crypto.hmacSHA256(key: key, message: Array("\(id).\(timestamp).".utf8) + body)
    }

    /// True when the request carries the scheme at all (any of its three headers).
    public static func present(_ header: (String) -> String?) -> Bool {
        header(signatureHeader) != nil || header(idHeader) != nil || header(timestampHeader) != nil
    }

    /// The verified `webhook-id`, or why not: every `v1` entry is compared in constant time with the HMAC under every
    /// secret (other versions are skipped); the timestamp must be within `tolerance` of `now`.
    public static func verify(
        header: (String) -> String?, body: [UInt8], secrets: [String], now: Int64 = StandardWebhookSignature.now()
    ) -> Result<String, Rejection> {
        guard let id = header(idHeader), let stamp = header(timestampHeader), let list = header(signatureHeader) else {
            return .failure(.missing)
        }
        guard !id.isEmpty, id.utf8.count <= maxIDLength, !id.unicodeScalars.contains(where: { $0.value < 0x21 }),
            stamp.utf8.count <= 12, stamp.allSatisfy({ $0.isASCII && $0.isNumber }), let timestamp = Int64(stamp)
        else { return .failure(.malformed) }
        let given = list.split(separator: " ", omittingEmptySubsequences: true).prefix(maxSignatures).compactMap {
            entry -> [UInt8]? in
            guard entry.hasPrefix("v1,"), let data = Data(base64Encoded: String(entry.dropFirst(3))), data.count == 32
            else { return nil }
            return [UInt8](data)
        }
        guard !given.isEmpty else { return .failure(.malformed) }
        var matched = false
        for secret in secrets {
            let expected = digest(key: key(secret), id: id, timestamp: timestamp, body: body)
            for signature in given where Crypto.constantTimeEquals(expected, signature) { matched = true }
        }
        guard matched else { return .failure(.mismatch) }
        // Checked after the HMAC, so only a genuine (old or replayed) signature learns that its time is off.
        guard abs(now - timestamp) <= tolerance else { return .failure(.timestamp) }
        return .success(id)
    }
}
