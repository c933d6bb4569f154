import TicketSyncPlatform

/// Claims for the delivery loops, by turns between lanes: a lane is one connection (by id) or, for the deployment
/// default, one provider kind. Each claim takes the oldest due event of the next lane after the loop's last one
/// (wrapping around), skipping lanes that already have `cap` events in flight with a live lease across all loops,
/// and the lanes of an org whose connections together have `orgCap` in flight, so one connection's backlog or slow
/// tracker, or one org's many connections, cannot hold back the others.
extension OutboxStore {
    /// One claimed event and the lane it came from (the caller's cursor for the next turn).
    public struct Turn {
        public var event: OutboxEvent
        public var lane: String
    }

    /// The SQL name of an event's lane; spelled as in the `outbox_open_per_lane` index, so the claim can use it.
    static func lane(_ alias: String) -> String { "coalesce(\(alias).connection_id::text, \(alias).provider)" }

    /// The org of a connection's lane; NULL for a deployment-default lane, which every org shares (the operator's
    /// own tracker: bounded by its lane cap alone).
    static func laneOrg(_ alias: String) -> String {
        "CASE WHEN \(alias).connection_id IS NULL THEN NULL ELSE \(alias).org_id END"
    }

    /// Claims the next lane's oldest due event, in one round trip. Claims of the loops are taken one at a time
    /// (a transaction lock), so the in-flight counts each sees include every claim made before it: the caps hold
    /// across loops and processes. `cap`: events of one lane in flight; `orgCap`: events of one org's connections
    /// in flight, all its lanes together (so an org with many hanging connections cannot hold every loop).
    /// `graceSeconds` and `providers` as in `claim`.
    /// `rests`: lanes found with nothing due are left out of this process's next claims for a while (see
    /// `LaneRests`), so a connection whose every ticket is in flight or backing off is not searched again on each
    /// claim of every loop while the others' events wait behind the claims' lock.
    public func claimTurn(
        after lane: String?, cap: Int, orgCap: Int, leaseSeconds: Int, graceSeconds: Int?, providers: [String]?,
        rests: LaneRests? = nil
    ) throws -> Turn? {
        let params: [String?] = [
            lane, String(max(1, cap)), String(leaseSeconds), graceSeconds.map(String.init),
            providers.map(SQLFragments.textArray), String(max(1, orgCap)),
            SQLFragments.textArray(rests?.resting() ?? []),
        ]
        do {
            let rows = try db.pipeline([
                PGStatement("BEGIN"),
                PGStatement.genericPlans,
                PGStatement("SELECT pg_advisory_xact_lock(hashtextextended('ticket_sync.outbox:claims', 0))"),
                PGStatement(Self.turnSQL, params),
                PGStatement("COMMIT"),
            ])
            guard let row = try rows.at(3).first else { return nil }
            rests?.rest(LaneRests.lanes(fromList: row["passed"] ?? ""))
            guard row["id"] != nil else { return nil }
            return Turn(event: try Self.decode(row), lane: row["lane"] ?? "")
        } catch {
            db.rollbackIfInTransaction()
            throw error
        }
    }

    /// Due (as in `claim`) and first of its link. $4 the grace, $5 the deliverable deployment-default providers.
    private static let dueSQL = due(grace: 4, providers: 5)

    /// How many of a lane's oldest open events the claim looks at before it skips through the lane's links.
    static let headWindow = 32

    /// A lane's `headWindow` oldest open events (`t.lane`). Asked as the events at or after (lane, 0), so only the
    /// lane's index can give them in order (see `firstOfLink`).
    static let firstOpenSQL = """
        SELECT w.id FROM ticket_sync.outbox w
        WHERE (\(lane("w")), w.id) BETWEEN (t.lane, 0) AND (t.lane, \(maxID)) AND w.state NOT IN ('delivered', 'cancelled')
        ORDER BY \(lane("w")), w.id LIMIT \(headWindow)
        """

    /// A lane's events in flight whose lease ran out (`t.lane`): their claimer died. In no order, so the lookup goes
    /// through the small index of events in flight (`outbox_delivering_per_lane`), not the lane's open events.
    static let leaseRunOutSQL = """
        SELECT f.id FROM ticket_sync.outbox f
        WHERE \(lane("f")) = t.lane AND f.state = 'delivering' AND f.locked_until < now()
        """

    /// A lane's pending events whose time has come (`t.lane`), in due-time order, at most `headWindow`: pending events
    /// with `next_attempt_at` passed (`outbox_pending_per_lane_by_time`). The claim reads these instead of skipping
    /// through all the lane's links whenever fewer than `headWindow` of them exist. The lane is compared in the "C"
    /// collation, as that index alone holds it, so no other index of open events can answer the lookup: before the
    /// index's first ANALYZE (or one taken while nothing was pending) a generic plan read the lane's links and sorted
    /// them instead, 10,000 of them behind an outage.
    static let timedSQL = """
        SELECT p.id FROM ticket_sync.outbox p
        WHERE \(lane("p")) COLLATE "C" = t.lane AND p.state = 'pending' AND p.next_attempt_at <= now()
        ORDER BY \(lane("p")) COLLATE "C", p.next_attempt_at LIMIT \(headWindow)
        """

    /// A lane's oldest due event (`t.lane`), locked. Only a link's first open event can be due, so it is looked for
    /// in up to four steps, each run only when the ones before found nothing:
    /// 1. among the lane's `headWindow` oldest open events (`firstOpenSQL`: where it is when the queue is short or
    ///    spread over many links, as in a drain);
    /// 2. among the lane's pending events whose time has come, in due-time order (`timedSQL`): when the lane's oldest
    ///    events are not due (thousands of tickets backing off through an outage, held events) the due ones are the
    ///    few whose time has come;
    /// 3. among the lane's events in flight whose lease ran out (`leaseRunOutSQL`);
    /// 4. only when step 2 found a full window (a busy ticket's backlog, due but queued behind its head, fills it),
    ///    the lane's links are skipped through in `outbox_open_per_lane_link` (one probe per link, however long its
    ///    backlog) and the oldest due head among them is taken. When step 2's window is not full it saw every pending
    ///    event whose time has come, so steps 2 and 3 saw every event that can be due: step 4 would find nothing.
    /// Walking the lane by id instead read a busy ticket's whole backlog on every claim, and step 4 on every claim
    /// read every link of a lane with 10,000 tickets backing off (docs/performance.md, "Scale"). Step 2's window is
    /// read once (a CTE, scanned only when step 2 or 4 runs) for both steps. Parameters as in `turnSQL` ($4 the
    /// grace, $5 the providers).
    static let laneDueSQL = """
        WITH timed AS MATERIALIZED (\(timedSQL))
        SELECT * FROM (\(oldestDue(among: firstOpenSQL))) oldest
        UNION ALL
        SELECT * FROM (\(oldestDue(among: "SELECT timed.id FROM timed"))) timed_due
        UNION ALL
        SELECT * FROM (\(oldestDue(among: leaseRunOutSQL))) expired
        UNION ALL
        SELECT * FROM (
            WITH RECURSIVE heads(link_id, id) AS (
                (SELECT h.link_id, h.id FROM ticket_sync.outbox h
                 WHERE \(lane("h")) = t.lane AND h.state NOT IN ('delivered', 'cancelled')
                 ORDER BY \(lane("h")), h.link_id, h.id LIMIT 1)
                UNION ALL
                SELECT n.link_id, n.id FROM heads p CROSS JOIN LATERAL (
                    SELECT h.link_id, h.id FROM ticket_sync.outbox h
                    WHERE \(lane("h")) = t.lane AND h.state NOT IN ('delivered', 'cancelled')
                      AND h.link_id > p.link_id
                    ORDER BY \(lane("h")), h.link_id, h.id LIMIT 1) n
            )
            \(oldestDue(among: "SELECT heads.id FROM heads",
                        and: "(SELECT count(*) FROM timed) >= \(headWindow)"))) headed
        """

    /// The oldest due event among the events `ids` (a subquery giving event ids), locked, with its link; `and`, a
    /// further condition. The outbox is read by those ids, never joined to them: a join's generic plan made on a
    /// nearly empty outbox (the soak's first second) read the whole outbox by its primary key on every claim and
    /// looked each event up among the ids (14,000 buffers a claim 30 s in).
    static func oldestDue(among ids: String, and condition: String = "true") -> String {
        """
        SELECT o.id, o.link_id FROM ticket_sync.outbox o
        WHERE o.id = ANY (ARRAY(\(ids))) AND \(dueSQL) AND \(condition)
        ORDER BY o.id LIMIT 1
        FOR UPDATE OF o SKIP LOCKED
        """
    }

    /// The lanes with open events, found by skipping through `outbox_open_per_lane` (one probe per lane, however
    /// long a lane's backlog), each with its org when it is a connection; those below the lane cap ($2) whose org
    /// is below the org cap ($6) and not resting ($7), in turn order: after $1 first, then from the first lane
    /// again; the first of them with a due event gives its oldest (`laneDueSQL`). Always one row: the claimed event
    /// (NULLs when none) and `passed`, the lanes looked at before it with nothing due and nothing in flight (all of
    /// them when none), comma-separated: a lane with an event in flight has tickets about to move on (its queued
    /// events become due as the flight lands, often within milliseconds), so it never rests; one with nothing in
    /// flight and nothing due is waiting for backoffs or graces, seconds at least.
    static let turnSQL = """
        WITH RECURSIVE lanes(lane, org) AS (
            (SELECT \(lane("o")), \(laneOrg("o")) FROM ticket_sync.outbox o
             WHERE o.state NOT IN ('delivered', 'cancelled')
             ORDER BY \(lane("o")) LIMIT 1)
            UNION ALL
            SELECT n.lane, n.org FROM lanes l CROSS JOIN LATERAL (
                SELECT \(lane("o")) AS lane, \(laneOrg("o")) AS org FROM ticket_sync.outbox o
                WHERE o.state NOT IN ('delivered', 'cancelled') AND \(lane("o")) > l.lane
                ORDER BY \(lane("o")) LIMIT 1) n
        ), turns AS MATERIALIZED (
            SELECT c.lane, c.in_flight, row_number() OVER (ORDER BY (c.lane <= $1::text) IS TRUE, c.lane) AS turn
            FROM (
                SELECT l.lane, l.org, (SELECT count(*) FROM ticket_sync.outbox f
                                       WHERE \(lane("f")) = l.lane AND f.state = 'delivering'
                                         AND f.locked_until >= now()) AS in_flight
                FROM lanes l WHERE l.lane <> ALL ($7::text[])) c
            WHERE c.in_flight < $2::int
              AND (c.org IS NULL
                   OR (SELECT count(*) FROM ticket_sync.outbox f
                       WHERE f.org_id = c.org AND f.connection_id IS NOT NULL AND f.state = 'delivering'
                         AND f.locked_until >= now()) < $6::int)
            ORDER BY (c.lane <= $1::text) IS TRUE, c.lane
        ), due AS (
            SELECT d.id, d.link_id, t.lane, t.turn FROM turns t CROSS JOIN LATERAL (
                \(laneDueSQL)
                LIMIT 1) d
            LIMIT 1
        ), claimed AS (
            UPDATE ticket_sync.outbox o
            SET state = 'delivering', attempts = o.attempts + 1, locked_until = now() + make_interval(secs => $3::int),
                lease_token = gen_random_uuid()
            FROM due, ticket_sync.ticket_links l
            WHERE \(claimedRows)
            RETURNING o.id, o.event_id, o.org_id, o.link_id, o.connection_id, l.evidence_request_id, o.comment_id,
                      o.provider, o.event_type, o.body, o.attempts, l.external_id, l.external_ref, o.lease_token,
                      due.lane, due.turn
        )
        SELECT c.*, array_to_string(ARRAY(
            SELECT t.lane FROM turns t WHERE (c.turn IS NULL OR t.turn < c.turn) AND t.in_flight = 0
            ORDER BY t.turn), ',') AS passed
        FROM (SELECT) one LEFT JOIN claimed c ON true
        """
}
