import Foundation
import TicketSyncPlatform

/// `ticketsync keys rotate`: re-seals every connection secret that is not sealed with the ring's current key, in
/// batches (each its own transaction, rows locked with SKIP LOCKED so a running service is not blocked), and
/// reports what it could not re-seal (a key missing from the ring, or a value that does not open). A row another
/// transaction holds is skipped, not forgotten: passes repeat until none is left or `wait` has passed, and the rows
/// still locked then are reported as such (never a success with a row left on an old key).
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
        /// Rows still on another key because another transaction held them through every pass.
        public var locked: [(connection: String, field: String, keyID: String)] = []
        /// Passes made (1 when nothing was held).
        public var passes = 0

        /// Every secret is under the current key.
        public var isComplete: Bool { failures.isEmpty && locked.isEmpty }
    }

    /// `wait`: how long to keep retrying rows another transaction holds; `pause`: between passes.
    public func run(batchSize: Int = 100, wait: TimeInterval = 30, pause: TimeInterval = 0.5) throws -> Report {
        guard let current = keys.current else { throw SecretBox.Failure.noKey }
        let deadline = Date().addingTimeInterval(wait)
        var report = Report()
        var failed: [String: (connection: String, field: String, reason: String)] = [:]
        while true {
            report.passes += 1
            try pass(batchSize: batchSize, current: current.id, into: &report.resealed, failed: &failed)
            // What is still on another key and did not fail to open was skipped: some transaction held it.
            report.locked = try remaining(notKey: current.id).filter { failed["\($0.connection)/\($0.field)"] == nil }
            if report.locked.isEmpty || Date() >= deadline { break }
            Thread.sleep(forTimeInterval: min(pause, max(0, deadline.timeIntervalSinceNow)))
        }
        report.failures = failed.values.sorted { ($0.connection, $0.field) < ($1.connection, $1.field) }
        return report
    }

    /// One pass over the rows not under `current`, skipping those another transaction holds and those that already
    /// failed to open (they would fail again).
    private func pass(
        batchSize: Int, current: String, into resealed: inout Int,
        failed: inout [String: (connection: String, field: String, reason: String)]
    ) throws {
        let store = ConnectionStore(db: db)
        var cursor: (String, String)?
        while true {
            let batch = try db.transaction { () throws -> Int in
                let rows = try store.lockSecretsToReseal(notKey: current, limit: batchSize, after: cursor)
                for row in rows {
                    cursor = (row.connection, row.field)
                    guard failed["\(row.connection)/\(row.field)"] == nil else { continue }
                    let aad = SecretBox.associatedData(org: row.org, connection: row.connection, field: row.field)
                    do {
                        let plain = try SecretBox.open(row.sealed, aad: aad, ring: keys)
                        let (sealed, keyID) = try SecretBox.seal(plain, aad: aad, ring: keys)
                        try store.reseal(connection: row.connection, field: row.field, sealed: sealed, keyID: keyID)
                        resealed += 1
                    } catch let failure as SecretBox.Failure {
                        failed["\(row.connection)/\(row.field)"] = (row.connection, row.field, failure.description)
                    }
                }
                return rows.count
            }
            if batch < batchSize { return }
        }
    }

    /// Every secret not under `current`, read without locking (a held row is read as it was committed).
    private func remaining(notKey current: String) throws -> [(connection: String, field: String, keyID: String)] {
        try db.query(
            """
            SELECT s.connection_id, s.field, s.key_id FROM ticket_sync.connection_secrets s
            JOIN ticket_sync.connections c ON c.id = s.connection_id
            WHERE s.key_id <> $1 ORDER BY s.connection_id, s.field
            """, [current]
        ).all.map { ($0.string("connection_id"), $0.string("field"), $0.string("key_id")) }
    }
}
