import CCrypto

/// The OpenSSL primitives the service uses, spoken in Swift byte arrays.
public enum Crypto {
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        _ = data.withUnsafeBufferPointer { SHA256($0.baseAddress, data.count, &digest) }
        return digest
    }

    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                _ = HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(key.count),
                    messageBytes.baseAddress, message.count, &digest, &length)
            }
        }
        return Array(digest.prefix(Int(length)))
    }

    /// Bytes from OpenSSL's CSPRNG; aborts rather than hand out weak randomness.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            // trap-safe: not reachable from input; without a CSPRNG no token, nonce or secret may be made at all.
            fatalError("OpenSSL RAND_bytes failed: no secure randomness available")
        }
        return bytes
    }

    /// Compares two byte strings in time that depends only on their length.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return CRYPTO_memcmp(lhs, rhs, lhs.count) == 0
    }
}
