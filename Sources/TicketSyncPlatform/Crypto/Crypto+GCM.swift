import CCrypto

/// AES-256-GCM through OpenSSL's EVP interface (NIST SP 800-38D): 32-byte key, 12-byte nonce, 16-byte tag.
extension Crypto {
    /// Nil only if OpenSSL itself fails (or the key or nonce has the wrong size).
    public static func aes256GCMSeal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8])
        -> (ciphertext: [UInt8], tag: [UInt8])?
    {
        guard key.count == 32, nonce.count == 12, let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
            EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1,
            aad.isEmpty || EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
        else { return nil }
        var written = 0
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1 else {
                return nil
            }
            written = Int(length)
        }
        let finished = ciphertext.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(context, buffer.baseAddress.map { $0 + written }, &length)
        }
        guard finished == 1, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { return nil }
        written += Int(length)
        return (Array(ciphertext.prefix(written)), tag)
    }

    /// Nil when the tag does not verify: wrong key, wrong associated data, or tampered. Never partial plaintext.
    public static func aes256GCMOpen(key: [UInt8], nonce: [UInt8], aad: [UInt8], ciphertext: [UInt8], tag: [UInt8])
        -> [UInt8]?
    {
        guard key.count == 32, nonce.count == 12, tag.count == 16, let context = EVP_CIPHER_CTX_new() else {
            return nil
        }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var expected = tag
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
            EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1,
            aad.isEmpty || EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
        else { return nil }
        var written = 0
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else {
                return nil
            }
            written = Int(length)
        }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &expected) == 1 else { return nil }
        let verified = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress.map { $0 + written }, &length)
        }
        guard verified == 1 else { return nil }
        written += Int(length)
        return Array(plaintext.prefix(written))
    }
}
