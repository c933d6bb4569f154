import TicketSyncPlatform

/// Seals and opens one connection's secrets, each bound to the org, the connection and its field name.
struct SecretSealer {
    let org: String
    let connection: String
    let keys: SecretKeyRing

    init(org: String, connection: String, keys: SecretKeyRing) {
        self.org = org
        self.connection = connection
        self.keys = keys
    }

    /// Refuses (503) up front when secrets are to be stored and there is no key to seal them with.
    init(org: String, connection: String, keys: SecretKeyRing, needed: [String: String?]) throws {
        self.init(org: org, connection: connection, keys: keys)
        if needed.values.contains(where: { $0 != nil }), keys.current == nil { throw APIError.secretKeysMissing }
    }

    func aad(_ field: String) -> [UInt8] { SecretBox.associatedData(org: org, connection: connection, field: field) }

    /// Writes each secret sent (nil removes it).
    func write(_ secrets: [String: String?], to store: ConnectionStore) throws {
        for (field, value) in secrets {
            if let value {
                try write(field: field, value: value, to: store)
            } else {
                try store.deleteSecret(connection: connection, field: field)
            }
        }
    }

    func write(field: String, value: String, validUntil: String? = nil, to store: ConnectionStore) throws {
        let (sealed, keyID) = try SecretBox.seal(value, aad: aad(field), ring: keys)
        try store.setSecret(connection: connection, field: field, sealed: sealed, keyID: keyID, validUntil: validUntil)
    }

    func open(_ sealed: String, field: String) throws -> String {
        do { return try SecretBox.open(sealed, aad: aad(field), ring: keys) } catch {
            ServerLog.error("connection \(connection): \(field) does not open: \(error)")
            throw APIError.secretUnavailable(connection: connection)
        }
    }
}
