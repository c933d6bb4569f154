import Foundation

/// The keys that seal connection secrets: `kid:base64-of-32-bytes` per line, from TICKET_SECRET_KEYS_FILE or the
/// same text in TICKET_SECRET_KEYS. The first key seals; every key opens (so an old key stays until
/// `ticketsync keys rotate` has re-sealed everything under the new one).
public struct SecretKeyRing: Sendable {
    public struct Key: Sendable {
        public let id: String
        let bytes: [UInt8]
    }

    public let keys: [Key]

    public static let empty = SecretKeyRing(keys: [])

    public init(keys: [Key]) { self.keys = keys }

    /// The key new values are sealed with.
    public var current: Key? { keys.first }

    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Key ids: letters, digits, `_` and `-`, at most 32 characters (they are stored beside every ciphertext).
    public static func isValidKeyID(_ text: String) -> Bool { isKeyID(Substring(text)) }

    static func isKeyID(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 32
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// Parses the key text; blank lines and `#` comments are skipped. Errors name the line, never the key.
    public static func parse(_ text: String, source: String) throws -> SecretKeyRing {
        var keys: [Key] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let id = parts.first, let encoded = parts.last, isKeyID(id) else {
                throw LoadError(description: "\(source) line \(index + 1): expected kid:base64-of-32-bytes")
            }
            guard let bytes = Data(base64Encoded: String(encoded)), bytes.count == 32 else {
                throw LoadError(
                    description: "\(source) line \(index + 1) (key \(id)): the key must be 32 bytes in base64")
            }
            guard !keys.contains(where: { $0.id == id }) else {
                throw LoadError(description: "\(source) line \(index + 1): key id \(id) appears twice")
            }
            keys.append(Key(id: String(id), bytes: [UInt8](bytes)))
        }
        return SecretKeyRing(keys: keys)
    }

    /// TICKET_SECRET_KEYS_FILE wins over TICKET_SECRET_KEYS; neither set gives an empty ring (no connection
    /// secret can then be stored, and start-up refuses if any is).
    public static func load(environment: [String: String]) throws -> SecretKeyRing {
        if let path = environment["TICKET_SECRET_KEYS_FILE"], !path.isEmpty {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw LoadError(description: "TICKET_SECRET_KEYS_FILE \(path) cannot be read")
            }
            return try parse(text, source: "TICKET_SECRET_KEYS_FILE")
        }
        if let text = environment["TICKET_SECRET_KEYS"], !text.isEmpty {
            // One line per key; in an environment variable, spaces or `;` may stand for line breaks.
            let lines = text.replacingOccurrences(of: ";", with: "\n").replacingOccurrences(of: " ", with: "\n")
            return try parse(lines, source: "TICKET_SECRET_KEYS")
        }
        return .empty
    }
}

/// Secrets sealed with AES-256-GCM: `v1:<kid>:<base64(nonce ‖ ciphertext ‖ tag)>`, a random 96-bit nonce per value,
/// and the org id, connection id and field name bound in as associated data, so a value copied to another row or
/// field does not open.
public enum SecretBox {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No key to seal with.
        case noKey
        /// The value names a key the ring does not hold.
        case unknownKey(String)
        /// Wrong key, tampered, moved to another row or field, or not a sealed value at all.
        case unreadable

        public var description: String {
            switch self {
            case .noKey: "no secret key is configured (TICKET_SECRET_KEYS_FILE or TICKET_SECRET_KEYS)"
            case .unknownKey(let id): "sealed with key id '\(id)', which the key ring does not hold"
            case .unreadable: "the sealed value does not open (wrong key, tampered, or moved)"
            }
        }
    }

    /// What a value is bound to.
    public static func associatedData(org: String, connection: String, field: String) -> [UInt8] {
        Array("ticketsync/v1|\(org)|\(connection)|\(field)".utf8)
    }

    public static func seal(_ plaintext: String, aad: [UInt8], ring: SecretKeyRing) throws -> (
        sealed: String, keyID: String
    ) {
        guard let key = ring.current else { throw Failure.noKey }
        let nonce = Crypto.randomBytes(12)
        guard
            let (ciphertext, tag) = Crypto.aes256GCMSeal(
                key: key.bytes, nonce: nonce, aad: aad, plaintext: Array(plaintext.utf8))
        else { throw Failure.unreadable }
        return ("v1:\(key.id):" + Data(nonce + ciphertext + tag).base64EncodedString(), key.id)
    }

    /// The key id a sealed value names, without opening it.
    public static func keyID(of sealed: String) -> String? { components(sealed)?.keyID }

    /// `v1:<kid>:<payload>` split, or nil for anything else.
    static func components(_ sealed: String) -> (keyID: String, payload: String)? {
        let parts = sealed.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts.first == "v1", let payload = parts.last else { return nil }
        return (parts.dropFirst().first ?? "", payload)
    }

    public static func open(_ sealed: String, aad: [UInt8], ring: SecretKeyRing) throws -> String {
        guard let (keyID, payload) = components(sealed) else { throw Failure.unreadable }
        guard let key = ring.key(id: keyID) else { throw Failure.unknownKey(keyID) }
        guard let raw = Data(base64Encoded: payload), raw.count >= 28 else { throw Failure.unreadable }
        let bytes = [UInt8](raw)
        let nonce = Array(bytes[0..<12])
        let tag = Array(bytes[(bytes.count - 16)...])
        let ciphertext = Array(bytes[12..<(bytes.count - 16)])
        guard
            let plaintext = Crypto.aes256GCMOpen(
                key: key.bytes, nonce: nonce, aad: aad, ciphertext: ciphertext, tag: tag),
            let text = String(bytes: plaintext, encoding: .utf8)
        else { throw Failure.unreadable }
        return text
    }
}
