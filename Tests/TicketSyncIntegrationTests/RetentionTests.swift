import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The retention pass against PostgreSQL: old rows of each growing table are deleted, recent ones and undelivered
/// events stay, and the audit trail is kept unless a retention is set (and never below 30 days). Serialized: a pass
/// deletes old rows of every org, and one pass runs at a time.
@Suite(.serialized, .enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct RetentionTests {
    struct World {
        let db: PGConnection
        let org: TestDatabase.Org
        let connection: String
        /// outbox ids by name
        var events: [String: String] = [:]
        let tag = UUID().uuidString.lowercased()
    }

    /// The pass runs as the service does: as the least-privileged runtime role when the test environment made one.
    func passConnection() throws -> PGConnection {
        let runtime = ProcessInfo.processInfo.environment["TICKETSYNC_RUNTIME_DATABASE_URL"] ?? ""
        return runtime.isEmpty ? try TestDatabase.connect() : try PGConnection(conninfo: runtime)
    }

    /// One org with a link, and rows of every kind: some past their retention, some not.
    func world() throws -> World {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let link = try TicketLinkStore(db: db).insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "mock", externalID: "mock-retention-\(org.id)", externalURL: nil))
        let connection = try db.query(
            """
            INSERT INTO ticket_sync.connections (org_id, kind, name, inbound_token_sha256)
            VALUES ($1, 'webhook', 'Retention', sha256(gen_random_uuid()::text::bytea)) RETURNING id
            """, [org.id]
        ).single("connection").string("id")
        var world = World(db: db, org: org, connection: connection)
        let outbox: [(String, String, String, String?)] = [
            // name, state, created, delivered
            ("old delivered", "delivered", "10 days", "8 days"),
            ("recent delivered", "delivered", "10 days", "6 days"),
            ("old cancelled", "cancelled", "8 days", nil),
            ("old pending", "pending", "30 days", nil),
            ("old failed", "failed", "30 days", nil),
        ]
        for (name, state, created, delivered) in outbox {
            world.events[name] = try db.query(
                """
                INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, state, created_at,
                    delivered_at)
                VALUES ($1, $2, 'mock', 'ticket.close', '{}', $3, now() - $4::interval, now() - $5::interval)
                RETURNING id
                """, [org.id, link.id.rawValue, state, created, delivered]
            ).single("event").string("id")
        }
        for (source, age) in [
            ("webhook-id", "25 hours"), ("webhook-id", "23 hours"), ("jira", "8 days"),
            ("jira", "6 days"),
        ] {
            try db.query(
                """
                INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id, connection_id, received_at)
                VALUES ($1, $2, $3, now() - $4::interval)
                """, [source, "\(world.tag)-\(age)", connection, age])
        }
        for age in ["31 days", "29 days"] {
            try db.query(
                """
                INSERT INTO ticket_sync.inbound_rejections (connection_id, minute, last_reason)
                VALUES ($1, date_trunc('minute', now() - $2::interval), 'bad signature')
                """, [connection, age])
        }
        for age in ["400 days", "300 days"] {
            try db.query(
                """
                INSERT INTO ticket_sync.audit_events (org_id, at, action, actor_kind, detail)
                VALUES ($1, now() - $2::interval, 'comment.create', 'system', jsonb_build_object('age', $2::text))
                """, [org.id, age])
        }
        return world
    }

    func remainingEvents(_ w: World) throws -> Set<String> {
        let ids = try Set(
            w.db.query("SELECT id::text AS id FROM ticket_sync.outbox WHERE org_id = $1", [w.org.id]).all.map {
                $0.string("id")
            })
        return Set(w.events.filter { ids.contains($0.value) }.keys)
    }

    func remainingDeliveryIDs(_ w: World) throws -> Set<String> {
        try Set(
            w.db.query(
                """
                SELECT source || ' ' || delivery_id AS id FROM ticket_sync.inbound_deliveries
                WHERE connection_id = $1
                """,
                [w.connection]
            ).all.map { $0.string("id").replacingOccurrences(of: "\(w.tag)-", with: "") })
    }

    func remainingRejections(_ w: World) throws -> Int {
        try w.db.query(
            "SELECT count(*)::int AS n FROM ticket_sync.inbound_rejections WHERE connection_id = $1", [w.connection]
        ).single("count").int("n")
    }

    func remainingAudit(_ w: World) throws -> Set<String> {
        try Set(
            w.db.query("SELECT detail->>'age' AS age FROM ticket_sync.audit_events WHERE org_id = $1", [w.org.id])
                .all.map { $0.string("age") })
    }

    @Test func aPassDeletesWhatOutlivedItsRetentionAndKeepsTheRest() throws {
        let w = try world()
        var policy = RetentionPolicy()
        policy.outboxDays = 7
        let pruned = try #require(try Retention(db: passConnection(), policy: policy).run())
        #expect(pruned.outbox >= 2 && pruned.inboundIDs >= 2 && pruned.rejections >= 1)
        #expect(pruned.audit == 0)
        #expect(try remainingEvents(w) == ["recent delivered", "old pending", "old failed"])
        #expect(try remainingDeliveryIDs(w) == ["webhook-id 23 hours", "jira 6 days"])
        #expect(try remainingRejections(w) == 1)
        #expect(try remainingAudit(w) == ["400 days", "300 days"], "no audit retention set: kept forever")
    }

    @Test func anAuditRetentionDeletesOlderAuditRowsOnly() throws {
        let w = try world()
        var policy = RetentionPolicy()
        policy.auditDays = 365
        let pruned = try #require(try Retention(db: passConnection(), policy: policy).run())
        #expect(pruned.audit >= 1)
        #expect(try remainingAudit(w) == ["300 days"])
    }

    @Test func theAuditTrailIsNeverPrunedBelowThirtyDays() throws {
        let db = try passConnection()
        #expect(throws: PGError.self) {
            try db.query("SELECT ticket_sync.prune_audit_events(5, 10)")
        }
        #expect(
            Settings(environment: ["TICKET_AUDIT_RETENTION_DAYS": "5"]).errors.contains {
                $0.hasPrefix("TICKET_AUDIT_RETENTION_DAYS")
            })
        #expect(Settings(environment: ["TICKET_AUDIT_RETENTION_DAYS": "400"]).retention.auditDays == 400)
        #expect(Settings(environment: [:]).retention.auditDays == nil)
    }

    @Test func aPassWaitsForAnotherProcessesPass() throws {
        let holder = try TestDatabase.connect()
        try holder.execute("BEGIN")
        try holder.query("SELECT pg_advisory_xact_lock(hashtext('ticketsync.retention'))")
        defer { _ = try? holder.execute("ROLLBACK") }
        #expect(try Retention(db: passConnection(), policy: RetentionPolicy()).run() == nil)
    }

    @Test func theRuntimeRoleMayRunTheAuditRetention() throws {
        let statements = try RuntimeGrants(db: TestDatabase.connect()).statements(role: "postgres")
        #expect(statements.contains { $0.hasPrefix("GRANT EXECUTE ON FUNCTION ticket_sync.prune_audit_events") })
    }
}
