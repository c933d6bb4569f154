import TicketSyncPlatform

/// Bearer tokens: `tsk_` and 64 hex digits (256 random bits). Only their SHA-256 is stored.
public enum APIToken {
    static let prefix = "tsk_"

    public static func generate() -> String {
        prefix + Hex.encode(Crypto.randomBytes(32))
    }

    /// The stored form: hex of SHA-256 over the token's bytes (remembered for the tokens seen last).
    public static func digestHex(_ token: String) -> String {
        digests.digest(of: token) { Hex.encode(Crypto.sha256(Array($0.utf8))) }
    }

    static let digests = TokenDigestCache(capacity: 4096)

    /// Cheap shape check before any database work, so garbage never reaches a query.
    public static func looksValid(_ token: String) -> Bool {
        let bytes = token.utf8
        guard bytes.count == prefix.utf8.count + 64, bytes.starts(with: prefix.utf8) else { return false }
        return bytes.dropFirst(prefix.utf8.count).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"):
                true
            default: false
            }
        }
    }
}
