import TicketSyncPlatform

/// How long the growing tables keep their rows, and how often the retention pass runs.
public struct RetentionPolicy: Sendable {
    /// Delivered (and cancelled) outbox events: TICKET_OUTBOX_RETENTION_DAYS, default 7.
    public var outboxDays = 7
    /// Audit rows: TICKET_AUDIT_RETENTION_DAYS, at least 30; nil (the default) keeps them forever.
    public var auditDays: Int?
    /// TICKET_RETENTION_INTERVAL: seconds between passes of a delivery loop (default ten minutes).
    public var intervalSeconds = 600

    /// The shortest audit retention accepted (the database function refuses less, whoever asks).
    public static let minimumAuditDays = 30
    /// Seen Standard Webhooks ids: far past the 5-minute window in which a replay could still verify.
    static let webhookIDsKept = "1 day"
    /// Seen native delivery ids (Jira, Linear): past any tracker's redelivery schedule (hours, not days).
    static let deliveryIDsKept = "7 days"
    /// Rejected-signature counts per connection and minute.
    static let rejectionsKept = "30 days"
}

/// The retention pass: deletes, oldest first and in bounded batches, delivered and cancelled outbox events past
/// their retention, seen inbound delivery ids past theirs, rejected-signature counts older than 30 days and, only
/// when the operator set a retention, audit rows older than it. Undelivered events are never touched. Each batch is
/// its own short transaction under a transaction-level advisory lock (so it also holds behind a pooler): one process
/// prunes at a time, and a pass that finds the lock taken leaves the work to the process holding it.
struct Retention {
    let db: PGConnection
    let policy: RetentionPolicy
    /// Rows per batch, and batches per kind in one pass (so a pass deletes at most 50,000 rows of each kind).
    static let batch = 1000
    static let batchesPerPass = 50

    /// What one pass deleted, by kind; nil when another process held the lock.
    struct Pruned: Equatable {
        var outbox = 0
        var inboundIDs = 0
        var rejections = 0
        var audit = 0
        var total: Int { outbox + inboundIDs + rejections + audit }
    }

    func run() throws -> Pruned? {
        var pruned = Pruned()
        for kind in statements() {
            for _ in 0..<Self.batchesPerPass {
                guard let deleted = try batch(kind.statement) else { return nil }
                pruned[keyPath: kind.count] += deleted
                if deleted < Self.batch { break }
            }
        }
        return pruned
    }

    /// One batch in its own transaction; nil when another process is pruning.
    private func batch(_ statement: PGStatement) throws -> Int? {
        try db.transaction { () throws -> Int? in
            let turn = try db.query("SELECT pg_try_advisory_xact_lock(hashtext('ticketsync.retention')) AS mine")
            guard try turn.single("advisory lock").bool("mine") else { return nil }
            return try db.query(statement).first?.int("deleted") ?? 0
        }
    }

    private func statements() -> [(statement: PGStatement, count: WritableKeyPath<Pruned, Int>)] {
        let limit = String(Self.batch)
        var kinds: [(PGStatement, WritableKeyPath<Pruned, Int>)] = [
            (
                Self.deleting(
                    "ticket_sync.outbox", "id",
                    """
                    SELECT id FROM ticket_sync.outbox
                    WHERE state = 'delivered' AND delivered_at < now() - make_interval(days => $1::int)
                    ORDER BY delivered_at LIMIT $2
                    """, [String(policy.outboxDays), limit]), \.outbox
            ),
            (
                Self.deleting(
                    "ticket_sync.outbox", "id",
                    """
                    SELECT id FROM ticket_sync.outbox
                    WHERE state = 'cancelled' AND created_at < now() - make_interval(days => $1::int)
                    ORDER BY created_at LIMIT $2
                    """, [String(policy.outboxDays), limit]), \.outbox
            ),
            (
                Self.deleting(
                    "ticket_sync.inbound_deliveries", "ctid",
                    """
                    SELECT ctid FROM ticket_sync.inbound_deliveries
                    WHERE source = 'webhook-id' AND received_at < now() - $1::interval
                    ORDER BY received_at LIMIT $2
                    """, [RetentionPolicy.webhookIDsKept, limit]), \.inboundIDs
            ),
            (
                Self.deleting(
                    "ticket_sync.inbound_deliveries", "ctid",
                    """
                    SELECT ctid FROM ticket_sync.inbound_deliveries
                    WHERE received_at < now() - $1::interval AND source <> 'webhook-id'
                    ORDER BY received_at LIMIT $2
                    """, [RetentionPolicy.deliveryIDsKept, limit]), \.inboundIDs
            ),
            (
                Self.deleting(
                    "ticket_sync.inbound_rejections", "ctid",
                    """
                    SELECT ctid FROM ticket_sync.inbound_rejections
                    WHERE minute < now() - $1::interval ORDER BY minute LIMIT $2
                    """, [RetentionPolicy.rejectionsKept, limit]), \.rejections
            ),
        ]
        if let days = policy.auditDays {
            // Through the owner's function: the runtime role may not delete audit rows itself.
            kinds.append(
                (
                    PGStatement(
                        "SELECT ticket_sync.prune_audit_events($1::int, $2::int) AS deleted", [String(days), limit]),
                    \.audit
                ))
        }
        return kinds
    }

    /// Deletes the rows the subquery picks (locked, skipping rows another transaction holds) and counts them.
    private static func deleting(_ table: String, _ key: String, _ pick: String, _ params: [String?]) -> PGStatement {
        PGStatement(
            """
            WITH gone AS (DELETE FROM \(table) WHERE \(key) IN (\(pick) FOR UPDATE SKIP LOCKED) RETURNING 1)
            SELECT count(*)::int AS deleted FROM gone
            """, params)
    }
}
