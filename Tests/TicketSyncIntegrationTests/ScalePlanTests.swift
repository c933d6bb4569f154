import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// What a request reads must not grow with the data behind it: the plans of the thread page and of a link's read are
/// checked with EXPLAIN (ANALYZE, BUFFERS), whose row and buffer counts are stable where timings are not. The service
/// prepares its statements, and PostgreSQL soon runs a prepared statement with a generic plan (made without the
/// parameters' values): the plans are checked that way.
/// Serialized: each test's ANALYZE and bulk rows would change the plans of the others.
@Suite(.serialized, .enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct ScalePlanTests {
    /// The generic plan's text (the statement prepared, as the service prepares it, and run with the parameters),
    /// and the buffers its top node read (shared hit + read, its children included).
    func explain(_ db: PGConnection, _ sql: String, _ params: [String?]) throws -> (plan: String, buffers: Int) {
        try db.execute("SET plan_cache_mode = force_generic_plan")
        // Only its own statement: dropping the connection's others (DEALLOCATE ALL) is what a pooler that loses
        // prepared statements does, and turned them off for the rest of the test process.
        if try db.execute("SELECT count(*) AS n FROM pg_prepared_statements WHERE name = 'planned'").single("n").int(
            "n")
            > 0
        {
            try db.execute("DEALLOCATE planned")
        }
        try db.execute("PREPARE planned AS " + sql)
        let literals = params.map { $0.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
        let plan = try db.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) EXECUTE planned(\(literals.joined(separator: ", ")))"
        ).all.map { $0.string("QUERY PLAN") }.joined(separator: "\n")
        let first = plan.split(separator: "\n").first { $0.contains("Buffers: shared") }.map(String.init) ?? ""
        func count(_ key: String) -> Int {
            guard let range = first.range(of: key + "=") else { return 0 }
            return Int(first[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        return (plan, count("hit") + count("read"))
    }

    /// The lane's part of the claim, as `turnSQL` runs it for each lane in turn ($2, $3 and $6 are the turn's).
    /// Each of its four steps reads the outbox by the ids it found (`OutboxStore.oldestDue`), never joined to them.
    func explainLaneClaim(_ db: PGConnection, lane: String) throws -> (plan: String, buffers: Int) {
        let claim = try explain(
            db,
            """
            SELECT d.id, $2::int, $3::int FROM (SELECT $1::text AS lane) t
            CROSS JOIN LATERAL (\(OutboxStore.laneDueSQL) LIMIT 1) d
            """,
            [lane, "0", "0", nil, nil])
        #expect(claim.plan.components(separatedBy: "Index Cond: (id = ANY").count - 1 == 4, "\(claim.plan)")
        return claim
    }

    enum Waiting { case all, head }

    /// A link with 3,000 pending events (`provider` is also the lane): all of them waiting an hour for their next
    /// attempt, or only the first (a head backing off, the rest due behind it). Analyzed, as autovacuum would.
    func busyTicket(provider: String, waiting: Waiting) throws -> (PGConnection, TestDatabase.Org, TicketLink) {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let link = try TicketLinkStore(db: db).insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "mock", externalID: "mock-busy-\(org.id)", externalURL: nil))
        try db.query(
            """
            INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, state, next_attempt_at)
            SELECT $1, $2, $3, 'ticket.close', '{}', 'pending',
                   CASE WHEN n = 1 OR $4 THEN now() + interval '1 hour' ELSE now() END
            FROM generate_series(1, 3000) n
            """, [org.id, link.id.rawValue, provider, waiting == .all ? "true" : "false"])
        try db.query("ANALYZE ticket_sync.outbox")
        return (db, org, link)
    }

    /// A busy ticket: a link with 3,000 events queued behind its first (comments posted faster than delivered).
    @Test func readingALinkDoesNotReadItsQueue() throws {
        let (db, org, link) = try busyTicket(provider: "mock", waiting: .all)
        let read = try explain(
            db, "SELECT \(TicketLinkStore.columns) FROM ticket_sync.ticket_links l WHERE l.org_id = $1 AND l.id = $2",
            [org.id, link.id.rawValue])
        // Both lookups of failed events (the sync state's and the last error's) go through the failed events' own
        // index, the pending lookup through the link's open events, in order, stopping at the first.
        #expect(
            read.plan.components(separatedBy: "using outbox_failed_per_link").count == 3,
            "a link's failed events read through the queue:\n\(read.plan)")
        #expect(read.plan.contains("using outbox_open_per_link"), "\(read.plan)")
        #expect(read.buffers < 50, "a link's read read \(read.buffers) buffers:\n\(read.plan)")
    }

    /// No index holds the open events in id order alone: with statistics taken while the queue was empty (an ANALYZE
    /// between bursts) PostgreSQL estimated such an index empty and read it whole for any one ticket's lookup (3,000
    /// buffers behind a 3,000-event queue in `make bench`; migration 020 dropped `outbox_undelivered`). Every index of
    /// open events leads with the ticket or the lane, which the lookups name.
    @Test func noIndexOrdersTheOpenEventsByIdAlone() throws {
        let db = try TestDatabase.connect()
        let byIDAlone = try db.query(
            """
            SELECT i.indexrelid::regclass::text AS name FROM pg_index i
            WHERE i.indrelid = 'ticket_sync.outbox'::regclass AND i.indpred IS NOT NULL
              AND pg_get_indexdef(i.indexrelid) LIKE '%(id) WHERE%'
            """
        ).all.map { $0.string("name") }
        #expect(byIDAlone.isEmpty, "\(byIDAlone)")
    }

    /// A busy ticket: 3,000 events queued behind a head that is backing off. A claim looking at its lane reads the
    /// lane's first events, its first events whose time has come (both windows of `OutboxStore.headWindow`, about
    /// 400 buffers together) and then one entry per link, not the backlog (3,000 events: more than 6,000 buffers).
    @Test func aClaimDoesNotWalkABusyTicketsBacklog() throws {
        let lane = "plan-lane-\(UUID().uuidString)"
        let (db, _, link) = try busyTicket(provider: lane, waiting: .head)
        defer {
            _ = try? db.query(
                "UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE link_id = $1", [link.id.rawValue])
        }
        let claim = try explainLaneClaim(db, lane: lane)
        #expect(claim.plan.contains("(actual rows=0 loops=1)"), "nothing is due:\n\(claim.plan)")
        #expect(claim.plan.contains("using outbox_open_per_lane_link"), "\(claim.plan)")
        #expect(claim.buffers < 600, "the claim read \(claim.buffers) buffers:\n\(claim.plan)")
    }

    /// A tracker's outage: 2,000 tickets of a lane, each with one event backing off, nothing due. A claim looking at
    /// the lane reads its pending events whose time has come (none) in due-time order, not every ticket's first event.
    @Test func aClaimDoesNotWalkALaneOfTicketsBackingOff() throws {
        let lane = "plan-outage-\(UUID().uuidString)"
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        try db.query(
            """
            WITH requests AS (
                INSERT INTO evidence_requests (id, org_id, title)
                SELECT gen_random_uuid(), $1, 'Outage ' || n FROM generate_series(1, 2000) n RETURNING id
            ), links AS (
                INSERT INTO ticket_sync.ticket_links (org_id, evidence_request_id, provider, external_id)
                SELECT $1, r.id, 'mock', 'mock-outage-' || r.id FROM requests r RETURNING id
            )
            INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, attempts, next_attempt_at)
            SELECT $1, l.id, $2, 'ticket.close', '{}', 1, now() + interval '1 hour' FROM links l
            """, [org.id, lane])
        defer {
            _ = try? db.query("UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE org_id = $1", [org.id])
        }
        let claim = try explainLaneClaim(db, lane: lane)
        #expect(claim.plan.contains("(actual rows=0 loops=1)"), "nothing is due:\n\(claim.plan)")
        #expect(claim.plan.contains("using outbox_pending_per_lane_by_time"), "\(claim.plan)")
        #expect(claim.buffers < 300, "the claim read \(claim.buffers) buffers:\n\(claim.plan)")
    }

    /// The delivery loop's claim of a ticket's next event, and a request's claim of its own event, read that event,
    /// not the 3,000 events queued before it on another ticket.
    @Test func claimingOneTicketsOrOneEventsNextReadsOnlyIt() throws {
        let (db, org, busy) = try busyTicket(provider: "mock", waiting: .all)
        let quiet = try TicketLinkStore(db: db).insert(
            org: org.orgID,
            request: EvidenceRequestID(
                try db.query(
                    "INSERT INTO evidence_requests (id, org_id, title) VALUES (gen_random_uuid(), $1, 'Quiet') RETURNING id",
                    [org.id]
                ).single("request").string("id")),
            ticket: CreatedTicket(provider: "mock", externalID: "mock-quiet-\(org.id)", externalURL: nil))
        let eventID = UUID().uuidString.lowercased()
        try OutboxStore(db: db).enqueue(link: quiet, commentID: nil, type: .close, eventID: eventID, body: .object([:]))
        defer {
            _ = try? db.query(
                "UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE link_id IN ($1, $2)",
                [busy.id.rawValue, quiet.id.rawValue])
        }
        for (name, statement) in [
            ("link", OutboxStore.claimStatement(limit: 1, leaseSeconds: 60, linkID: quiet.id)),
            ("event", OutboxStore.claimStatement(limit: 1, leaseSeconds: 60, eventID: eventID)),
        ] {
            try db.query("UPDATE ticket_sync.outbox SET state = 'pending' WHERE event_id = $1", [eventID])
            let claim = try explain(db, statement.sql, statement.params)
            #expect(
                claim.plan.contains("Update on outbox") && claim.plan.contains("(actual rows=1 loops=1)"),
                "\(claim.plan)")
            #expect(claim.buffers < 100, "claiming by \(name) read \(claim.buffers) buffers:\n\(claim.plan)")
            // Only the lane's lookup by due time may use the pending events' due-time index: through it, a claim by
            // ticket read every pending event whose time had come (its first version's predicate allowed that).
            #expect(!claim.plan.contains("outbox_pending_per_lane_by_time"), "\(claim.plan)")
            // The update reads the outbox by the ids the claim found (`OutboxStore.claimedRows`), not joined to them.
            #expect(claim.plan.components(separatedBy: "Index Cond: (id = ANY").count - 1 == 2, "\(claim.plan)")
        }
    }

    /// A comment queued on a busy ticket (a comment POST's event): whether it is first in line is looked up once,
    /// through the ticket's open events, whatever the ticket's queue.
    @Test func queueingACommentLooksUpItsTicketsQueueOnce() throws {
        let (db, org, link) = try busyTicket(provider: "mock", waiting: .all)
        defer {
            _ = try? db.query(
                "UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE link_id = $1", [link.id.rawValue])
        }
        let comment = try db.query(
            """
            INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body)
            VALUES ($1, $2, 'internal', 'Queued', 'Behind 3,000') RETURNING id
            """, [org.id, org.requestID]
        ).single("comment").int("id")
        let statement = OutboxStore.enqueueCommentStatement(
            link: link, commentID: comment, eventID: UUID().uuidString.lowercased(), body: .object([:]),
            claimFor: 60)
        let insert = try explain(db, statement.sql, statement.params)
        #expect(insert.plan.contains("Insert on outbox o (actual rows=1 loops=1)"), "\(insert.plan)")
        #expect(
            insert.plan.components(separatedBy: "using outbox_open_per_link").count - 1 == 1,
            "the lookup ran more than once, or not through the ticket's events:\n\(insert.plan)")
        #expect(insert.buffers < 100, "queueing read \(insert.buffers) buffers:\n\(insert.plan)")
    }

    /// A thread of 3,000: its first and last pages read the page through the thread index, not the thread.
    @Test func aThreadPageReadsThePageWhateverTheThreadsLength() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        try TestDatabase.addThread(db, org, comments: 3000)
        try db.query("ANALYZE ticket_sync.comments")
        for slice in [CommentStore.ThreadSlice.first, .newest] {
            let query = CommentStore.pageQuery(slice: slice, limit: 101)
            let page = try explain(
                db, query.statement, [APIToken.digestHex(org.adminToken), org.id, org.requestID] + query.params)
            #expect(page.plan.contains("using comments_thread on comments"), "\(page.plan)")
            #expect(page.plan.contains("(actual rows=101 loops=1)"))
            #expect(!page.plan.contains("Sort"), "the index gives the order: \(page.plan)")
            #expect(page.buffers < 100, "a page of 101 read \(page.buffers) buffers:\n\(page.plan)")
        }
    }

    /// An org with a long audit trail: a page of it, or of one request's events, reads the page, not the trail.
    @Test func anAuditPageReadsThePageWhateverTheTrailsLength() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        try db.query(
            """
            INSERT INTO ticket_sync.audit_events (org_id, action, actor_kind, evidence_request_id, detail)
            SELECT $1, 'comment.create', 'system', CASE WHEN n % 100 = 0 THEN $2::uuid END, '{}'
            FROM generate_series(1, 3000) n
            """, [org.id, org.requestID])
        try db.query("ANALYZE ticket_sync.audit_events")
        let pages = [
            AuditRoutes.orgEvents.with([nil, "11"]), AuditRoutes.requestEvents.with([nil, "11", org.requestID]),
        ]
        for query in pages {
            let page = try explain(
                db, query.statement, [APIToken.digestHex(org.adminToken), org.id, nil] + query.params)
            // The only sort is the outer one, of the page's 11 rows; the trail is read in index order and stops.
            #expect(page.plan.contains("Sort (actual rows=11 loops=1)"))
            #expect(!page.plan.contains("rows=3000") && !page.plan.contains("rows=2970"), "\(page.plan)")
            #expect(page.buffers < 50, "a page of 11 read \(page.buffers) buffers:\n\(page.plan)")
        }
    }
}
