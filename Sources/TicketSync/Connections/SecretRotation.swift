/// `ticketsync keys rotate`: re-seals every connection secret that is not sealed with the ring's current key, in
/// batches (each its own transaction, rows locked with SKIP LOCKED so a running service is not blocked), and
/// reports what it could not re-seal (a key missing from the ring, or a value that does not open).
public struct SecretRotation {
    let db: PGConnection
    let keys: SecretKeyRing

    public init(db: PGConnection, keys: SecretKeyRing) {
        self.db = db
        self.keys = keys
    }

    public struct Report: Sendable {
        public var resealed = 0
        public var failures: [(connection: String, field: String, reason: String)] = []
    }

    public func run(batchSize: Int = 100) throws -> Report {
        guard let current = keys.current else { throw SecretBox.Failure.noKey }
        let store = ConnectionStore(db: db)
        var report = Report()
        var cursor: (String, String)?
        while true {
            let batch = try db.transaction { () throws -> Int in
                let rows = try store.lockSecretsToReseal(notKey: current.id, limit: batchSize, after: cursor)
                for row in rows {
                    cursor = (row.connection, row.field)
                    let aad = SecretBox.associatedData(org: row.org, connection: row.connection, field: row.field)
                    do {
                        let plain = try SecretBox.open(row.sealed, aad: aad, ring: keys)
                        let (sealed, keyID) = try SecretBox.seal(plain, aad: aad, ring: keys)
                        try store.reseal(connection: row.connection, field: row.field, sealed: sealed, keyID: keyID)
                        report.resealed += 1
                    } catch let failure as SecretBox.Failure {
                        report.failures.append((row.connection, row.field, failure.description))
                    }
                }
                return rows.count
            }
            if batch < batchSize { return report }
        }
    }
}
