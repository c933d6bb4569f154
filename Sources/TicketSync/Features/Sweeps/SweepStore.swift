import TicketSyncPlatform

/// The sweeps' cursor rows (`ticket_sync.sync_sweeps`): one per connection and one per deployment-default tracker
/// kind. A sweep is claimed as a lease, with SKIP LOCKED, so one loop of one process sweeps a connection at a time
/// across every host; the lease's token guards what the sweep records at its end.
struct SweepStore {
    let db: PGConnection

    /// A claimed sweep.
    struct Claim: Sendable {
        var scope: String
        var orgID: OrgID?
        var connectionID: ConnectionID?
        var kind: String
        /// Epoch ms of the cursor; nil before the first sweep.
        var cursor: Int64?
        /// Epoch ms when the claim was taken (the next cursor when the sweep completes).
        var startedAt: Int64
        var failures: Int
        var token: String

        var inboundScope: InboundScope { connectionID.map(InboundScope.connection) ?? .deployment }
    }

    static func deploymentScope(_ kind: String) -> String { "deployment:\(kind)" }

    /// Adds a row for every enabled connection, and for each deployment-default kind in `deployment`, that has none
    /// (first due one interval later: a new connection has nothing to repair yet), and removes those of disabled
    /// or deleted connections and of deployment kinds no longer configured.
    func ensureRows(deployment: [String], policy: SweepPolicy) throws {
        _ = try db.pipeline([
            PGStatement(
                """
                INSERT INTO ticket_sync.sync_sweeps (scope, org_id, connection_id, kind, due_at)
                SELECT c.id::text, c.org_id, c.id, c.kind, clock_timestamp() + make_interval(
                    secs => CASE WHEN c.settings ->> 'inbound_mode' = 'poll' THEN $2::int ELSE $1::int END)
                FROM ticket_sync.connections c
                WHERE c.deleted_at IS NULL AND NOT c.disabled
                ON CONFLICT (scope) DO NOTHING
                """, [String(policy.intervalSeconds), String(policy.pollIntervalSeconds)]),
            PGStatement(
                """
                INSERT INTO ticket_sync.sync_sweeps (scope, kind, due_at)
                SELECT 'deployment:' || k, k, clock_timestamp() + make_interval(secs => $2::int)
                FROM unnest($1::text[]) AS k
                ON CONFLICT (scope) DO NOTHING
                """, [SQLFragments.textArray(deployment), String(policy.intervalSeconds)]),
            PGStatement(
                """
                DELETE FROM ticket_sync.sync_sweeps s
                WHERE (s.connection_id IS NOT NULL AND NOT EXISTS (
                          SELECT 1 FROM ticket_sync.connections c
                          WHERE c.id = s.connection_id AND c.deleted_at IS NULL AND NOT c.disabled))
                   OR (s.connection_id IS NULL AND NOT s.kind = ANY ($1::text[]))
                """, [SQLFragments.textArray(deployment)]),
        ])
    }

    /// After a delivery the tracker accepted: a sweep of its connection (or deployment kind) that failed last time is
    /// due at once.
    static func sweepNowIfFailedStatement(connectionID: String?, kind: String) -> PGStatement {
        PGStatement(
            """
            UPDATE ticket_sync.sync_sweeps SET due_at = clock_timestamp()
            WHERE scope = coalesce($1::text, 'deployment:' || $2::text) AND error IS NOT NULL AND sweepable
              AND due_at > clock_timestamp()
            """, [connectionID, kind])
    }

    /// Claims the sweep due longest, if any, for `leaseSeconds`.
    func claimDue(leaseSeconds: Int) throws -> Claim? {
        try db.query(
            """
            UPDATE ticket_sync.sync_sweeps s
            SET leased_until = clock_timestamp() + make_interval(secs => $1::int), lease_token = gen_random_uuid(),
                started_at = clock_timestamp()
            WHERE s.scope = (
                SELECT d.scope FROM ticket_sync.sync_sweeps d
                WHERE d.due_at <= clock_timestamp() AND (d.leased_until IS NULL OR d.leased_until < clock_timestamp())
                ORDER BY d.due_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING s.scope, s.org_id, s.connection_id, s.kind, s.failures, s.lease_token,
                (extract(epoch FROM s.cursor_at) * 1000)::bigint AS cursor_ms,
                (extract(epoch FROM s.started_at) * 1000)::bigint AS started_ms
            """, [String(leaseSeconds)]
        ).first.map { row in
            Claim(
                scope: row.string("scope"), orgID: row["org_id"].map { OrgID($0) },
                connectionID: row["connection_id"].map { ConnectionID($0) },
                kind: row.string("kind"), cursor: row["cursor_ms"].flatMap { Int64($0) },
                startedAt: Int64(row.string("started_ms")) ?? 0, failures: row.int("failures"),
                token: row.string("lease_token"))
        }
    }

    /// Keeps the lease while a long sweep goes on; false when it was lost (another loop took the sweep over).
    func extend(_ claim: Claim, leaseSeconds: Int) throws -> Bool {
        try db.query(
            """
            UPDATE ticket_sync.sync_sweeps SET leased_until = clock_timestamp() + make_interval(secs => $3::int)
            WHERE scope = $1 AND lease_token = $2::uuid
            """, [claim.scope, claim.token, String(leaseSeconds)]
        ).affected == 1
    }

    /// The sweep read everything up to `cursor` (epoch ms) and applied `changes`; next due in `nextInSeconds`.
    func finish(_ claim: Claim, cursor: Int64, changes: Int, nextInSeconds: Int) throws {
        _ = try db.query(
            """
            UPDATE ticket_sync.sync_sweeps
            SET cursor_at = to_timestamp($3::bigint / 1000.0), changes = $4::int, error = NULL, failures = 0,
                sweepable = true, finished_at = clock_timestamp(),
                due_at = clock_timestamp() + make_interval(secs => $5::int), leased_until = NULL, lease_token = NULL
            WHERE scope = $1 AND lease_token = $2::uuid
            """, [claim.scope, claim.token, String(cursor), String(changes), String(nextInSeconds)])
    }

    /// The sweep failed (`sweepable` false: the tracker cannot be swept at all); tried again in `retryInSeconds`.
    func fail(_ claim: Claim, error: String, changes: Int, sweepable: Bool, retryInSeconds: Int) throws {
        _ = try db.query(
            """
            UPDATE ticket_sync.sync_sweeps
            SET error = left($3, 1000), changes = $4::int, sweepable = $5::boolean, failures = failures + 1,
                finished_at = clock_timestamp(), due_at = clock_timestamp() + make_interval(secs => $6::int),
                leased_until = NULL, lease_token = NULL
            WHERE scope = $1 AND lease_token = $2::uuid
            """,
            [
                claim.scope, claim.token, error, String(changes), sweepable ? "true" : "false",
                String(max(retryInSeconds, 1)),
            ])
    }

    /// "Re-sync now" of an org's connection: due at once, unless asked within `everySeconds` (then nil, and the
    /// seconds to wait). Creates the row when the connection has none yet.
    func requestNow(org: OrgID, connection: ConnectionID, kind: String, everySeconds: Int) throws -> Int? {
        let row = try db.query(
            """
            INSERT INTO ticket_sync.sync_sweeps AS s (scope, org_id, connection_id, kind, resync_requested_at)
            VALUES ($2::text, $1::uuid, $2::uuid, $3, clock_timestamp())
            ON CONFLICT (scope) DO UPDATE SET due_at = clock_timestamp(), resync_requested_at = clock_timestamp()
            WHERE s.org_id = $1::uuid AND (s.resync_requested_at IS NULL
                  OR s.resync_requested_at < clock_timestamp() - make_interval(secs => $4::int))
            RETURNING 0 AS wait
            """, [org.rawValue, connection.rawValue, kind, String(everySeconds)]
        ).first
        if row != nil { return nil }
        let wait = try db.query(
            """
            SELECT greatest(1, ceil(extract(epoch FROM resync_requested_at + make_interval(secs => $2::int)
                                            - clock_timestamp())))::int AS wait
            FROM ticket_sync.sync_sweeps WHERE scope = $1
            """, [connection.rawValue, String(everySeconds)]
        ).first
        return wait?.int("wait") ?? 1
    }

    /// "Re-sync now" of one link: recorded, unless asked within `everySeconds` (then nil, and the seconds to wait).
    func claimResync(_ link: TicketLink, everySeconds: Int) throws -> Int? {
        let row = try db.query(
            """
            WITH claimed AS (
                UPDATE ticket_sync.ticket_links SET resynced_at = clock_timestamp()
                WHERE org_id = $1 AND id = $2 AND (resynced_at IS NULL
                      OR resynced_at < clock_timestamp() - make_interval(secs => $3::int))
                RETURNING id)
            SELECT EXISTS (SELECT 1 FROM claimed) AS claimed,
                (SELECT greatest(1, ceil(extract(epoch FROM resynced_at + make_interval(secs => $3::int)
                                                 - clock_timestamp())))::int
                 FROM ticket_sync.ticket_links WHERE org_id = $1 AND id = $2) AS wait
            """, [link.orgID.rawValue, link.id.rawValue, String(everySeconds)]
        ).single("link")
        return row.bool("claimed") ? nil : max(row.int("wait"), 1)
    }

    /// Links of the scope the sweep has not looked up for longest (never first), for one-by-one look-ups.
    func linksToLookUp(_ claim: Claim, limit: Int) throws -> [TicketLink] {
        try db.query(
            """
            SELECT \(TicketLinkStore.columns) FROM ticket_sync.ticket_links l
            WHERE \(claim.inboundScope.condition("l.connection_id", parameter: 3)) AND l.provider = $1
              AND l.unlinked_at IS NULL AND l.state = 'linked' AND l.tracker_error IS NULL
            ORDER BY l.looked_up_at NULLS FIRST, l.created_at LIMIT $2::int
            """, [claim.kind, String(limit)] + claim.inboundScope.parameters
        ).all.map(TicketLinkStore.decode)
    }

    func markLookedUp(_ link: TicketLink) throws {
        _ = try db.query(
            """
            UPDATE ticket_sync.ticket_links SET looked_up_at = clock_timestamp() WHERE org_id = $1 AND id = $2
            """, [link.orgID.rawValue, link.id.rawValue])
    }

    /// The oldest active link of the scope (epoch ms): where a first sweep starts. Nil: no links, nothing to read.
    func oldestLink(_ claim: Claim) throws -> Int64? {
        try db.query(
            """
            SELECT (extract(epoch FROM min(l.created_at)) * 1000)::bigint AS oldest FROM ticket_sync.ticket_links l
            WHERE \(claim.inboundScope.condition("l.connection_id", parameter: 2)) AND l.provider = $1
              AND l.unlinked_at IS NULL
            """, [claim.kind] + claim.inboundScope.parameters
        ).first?["oldest"].flatMap { Int64($0) }
    }

    /// After a complete sweep: every link of the scope the tracker agreed with (all but `except`, whose comments
    /// could not be compared) was verified as of the sweep's start.
    func markVerified(_ claim: Claim, except deferred: [TicketLinkID]) throws {
        _ = try db.query(
            """
            UPDATE ticket_sync.ticket_links l SET last_verified_at = greatest(l.last_verified_at,
                                                                             to_timestamp($2::bigint / 1000.0))
            WHERE \(claim.inboundScope.condition("l.connection_id", parameter: 4)) AND l.provider = $1
              AND l.unlinked_at IS NULL AND l.state = 'linked' AND l.tracker_error IS NULL
              AND l.created_at < to_timestamp($2::bigint / 1000.0) AND NOT l.id = ANY ($3::uuid[])
            """,
            [claim.kind, String(claim.startedAt), SQLFragments.textArray(deferred.map(\.rawValue))]
                + claim.inboundScope.parameters)
    }
}
