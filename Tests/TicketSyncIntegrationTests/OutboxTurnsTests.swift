import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The delivery loops' claims take turns between connections, with a cap on each connection's events in flight.
/// Part of the serialized outbox suite: its global claims would otherwise take these events.
extension OutboxTests {
    struct Lanes {
        let db: PGConnection
        let org: TestDatabase.Org
        let a: String
        let b: String
    }

    /// Two webhook connections of a new org; `eventsOfA` links of A with one event each (enqueued first), one of B.
    func lanes(eventsOfA: Int) throws -> Lanes {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let a = try connection(db, org: org.id, name: "A")
        let b = try connection(db, org: org.id, name: "B")
        for index in 0..<eventsOfA { try event(db, org: org, connection: a, n: index) }
        try event(db, org: org, connection: b, n: 0)
        return Lanes(db: db, org: org, a: a, b: b)
    }

    private func connection(_ db: PGConnection, org: String, name: String) throws -> String {
        try db.query(
            """
            INSERT INTO ticket_sync.connections (org_id, kind, name, inbound_token_sha256)
            VALUES ($1, 'webhook', $2, sha256(gen_random_uuid()::text::bytea)) RETURNING id
            """, [org, name]
        ).single("connection").string("id")
    }

    @discardableResult
    private func event(_ db: PGConnection, org: TestDatabase.Org, connection: String, n: Int) throws -> TicketLinkID {
        // One active link per evidence request: a request of its own for each.
        let request = try db.query(
            "INSERT INTO evidence_requests (id, org_id, title) VALUES (gen_random_uuid(), $1, 'Turns') RETURNING id",
            [org.id]
        ).single("request").string("id")
        let link = try TicketLinkStore(db: db).insert(
            org: org.orgID, request: EvidenceRequestID(request),
            ticket: CreatedTicket(provider: "webhook", externalID: "wh-\(connection)-\(n)", externalURL: nil),
            connectionID: ConnectionID(connection))
        try OutboxStore(db: db).enqueue(
            link: link, commentID: nil, type: .close, eventID: UUID().uuidString.lowercased(),
            body: .object(["n": .int(n)]))
        return link.id
    }

    /// Leaves nothing due behind for the suite's global claims.
    private func cancel(_ lanes: Lanes) throws {
        try lanes.db.query(
            "UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE org_id = $1 AND state <> 'delivered'",
            [lanes.org.id])
    }

    private func delivering(_ lanes: Lanes, _ connection: String) throws -> Int {
        try lanes.db.query(
            """
            SELECT count(*) AS n FROM ticket_sync.outbox
            WHERE connection_id = $1 AND state = 'delivering' AND locked_until >= now()
            """, [connection]
        ).single("count").int("n")
    }

    /// Claims by a loop that takes turns; only connection events (`providers: []` leaves the deployment default's).
    /// The org cap is out of the way unless a test sets it.
    private func claimTurn(_ db: PGConnection, after lane: String?, cap: Int = 2, orgCap: Int = 1000) throws
        -> OutboxStore.Turn?
    {
        try OutboxStore(db: db).claimTurn(
            after: lane, cap: cap, orgCap: orgCap, leaseSeconds: 60, graceSeconds: nil, providers: [])
    }

    @Test func aConnectionsBacklogDoesNotHoldBackAnotherConnectionsEvent() throws {
        let lanes = try lanes(eventsOfA: 100)
        defer { try? cancel(lanes) }
        var lane: String?
        var claimed: [String?] = []
        for _ in 0..<4 {
            guard let turn = try claimTurn(lanes.db, after: lane) else { break }
            lane = turn.lane
            claimed.append(turn.event.connectionID?.rawValue)
            // Finished at once: A is never at its cap here, only its turn passes.
            try lanes.db.query(OutboxStore.deliveredStatement(turn.event, status: 200))
        }
        #expect(claimed.prefix(2).contains(lanes.b), "B's event was claimed among the first two: \(claimed)")
        #expect(claimed.filter { $0 == lanes.a }.count >= 2, "A keeps its turns: \(claimed)")
    }

    @Test func noMoreThanTheCapOfOneConnectionsEventsAreInFlight() throws {
        let lanes = try lanes(eventsOfA: 100)
        defer { try? cancel(lanes) }
        // One loop claiming without finishing anything: A reaches its cap, then only B (and then nothing) is due.
        var lane: String?
        var claimed: [String?] = []
        for _ in 0..<6 {
            guard let turn = try claimTurn(lanes.db, after: lane) else { break }
            lane = turn.lane
            claimed.append(turn.event.connectionID?.rawValue)
        }
        #expect(claimed.filter { $0 == lanes.a }.count == 2, "\(claimed)")
        #expect(claimed.filter { $0 == lanes.b }.count == 1, "\(claimed)")
        #expect(try delivering(lanes, lanes.a) == 2)
        // Eight loops at once, each claiming ten times: still never more than the cap of A's in flight.
        try lanes.db.query(
            "UPDATE ticket_sync.outbox SET state = 'delivered', locked_until = NULL WHERE org_id = $1 AND state = 'delivering'",
            [lanes.org.id])
        let results = TestDatabase.concurrently(8) { _ in
            let db = try TestDatabase.connect()
            var lane: String?
            var mine = 0
            for _ in 0..<10 {
                guard let turn = try claimTurn(db, after: lane, cap: 3) else { continue }
                lane = turn.lane
                mine += 1
            }
            return mine
        }
        let total = try results.map { try $0.get() }.reduce(0, +)
        #expect(total == 3, "eight loops together claimed \(total) of A's events; the cap is 3")
        #expect(try delivering(lanes, lanes.a) == 3)
    }

    /// One connection, two tickets: the first's head is backing off with more events queued behind it than the
    /// claim's first look covers (`OutboxStore.headWindow`); the second ticket's one event came later.
    @Test func aBusyTicketsBacklogDoesNotHoldBackTheOtherTicketsOfItsConnection() throws {
        let lanes = try lanes(eventsOfA: 0)
        defer { try? cancel(lanes) }
        try lanes.db.query("UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE org_id = $1", [lanes.org.id])
        let busy = try event(lanes.db, org: lanes.org, connection: lanes.a, n: 0)
        try lanes.db.query(
            """
            INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, connection_id)
            SELECT org_id, link_id, provider, 'ticket.close', '{}', connection_id
            FROM ticket_sync.outbox, generate_series(1, $2::int) WHERE link_id = $1
            """, [busy.rawValue, String(OutboxStore.headWindow * 3)])
        let head = try lanes.db.query(
            "SELECT min(id) AS id FROM ticket_sync.outbox WHERE link_id = $1", [busy.rawValue]
        ).single("head").int("id")
        try lanes.db.query(
            "UPDATE ticket_sync.outbox SET next_attempt_at = now() + interval '1 hour' WHERE id = $1", [String(head)])
        let other = try event(lanes.db, org: lanes.org, connection: lanes.a, n: 1)

        let first = try claimTurn(lanes.db, after: nil)
        #expect(first?.event.linkID == other, "the other ticket's event is claimed past the busy ticket's backlog")
        #expect(try claimTurn(lanes.db, after: nil)?.lane != lanes.a, "nothing behind the busy ticket's head is due")
        try lanes.db.query("UPDATE ticket_sync.outbox SET next_attempt_at = now() WHERE id = $1", [String(head)])
        let next = try claimTurn(lanes.db, after: nil)
        #expect(next?.event.id == head, "the busy ticket's head goes first once due")
    }

    /// One connection through an outage: more tickets backing off than the claim's first look covers, all older
    /// than the one ticket whose event is due; then one of them (past that first look) in flight by a loop that died.
    @Test func ticketsBackingOffDoNotHideTheDueEventsOfTheirConnection() throws {
        let lanes = try lanes(eventsOfA: OutboxStore.headWindow * 2)
        defer { try? cancel(lanes) }
        try lanes.db.query("UPDATE ticket_sync.outbox SET state = 'cancelled' WHERE connection_id = $1", [lanes.b])
        try lanes.db.query(
            """
            UPDATE ticket_sync.outbox SET attempts = 1, next_attempt_at = now() + interval '1 hour'
            WHERE connection_id = $1
            """, [lanes.a])
        let due = try event(lanes.db, org: lanes.org, connection: lanes.a, n: OutboxStore.headWindow * 2)
        let first = try claimTurn(lanes.db, after: nil)
        #expect(first?.event.linkID == due, "the due ticket's event is claimed past the tickets backing off")
        #expect(try claimTurn(lanes.db, after: nil) == nil, "nothing else is due")

        // A loop claimed the newest ticket backing off and died: its lease ran out, and it is claimed again.
        let orphan = try lanes.db.query(
            """
            UPDATE ticket_sync.outbox SET state = 'delivering', locked_until = now() - interval '1 minute'
            WHERE id = (SELECT max(id) FROM ticket_sync.outbox WHERE connection_id = $1 AND link_id <> $2)
            RETURNING id
            """, [lanes.a, due.rawValue]
        ).single("orphan").int("id")
        let again = try claimTurn(lanes.db, after: nil)
        #expect(again?.event.id == orphan, "an expired lease is claimed again behind the tickets backing off")
    }

    @Test func noMoreThanTheOrgCapOfOneOrgsEventsAreInFlightAcrossItsConnections() throws {
        // Org A: five connections with ten events each (their trackers hang: nothing finishes); org B: one event.
        let db = try TestDatabase.connect()
        let orgA = try TestDatabase.makeOrg(db)
        for name in ["A1", "A2", "A3", "A4", "A5"] {
            let id = try connection(db, org: orgA.id, name: name)
            for index in 0..<10 { try event(db, org: orgA, connection: id, n: index) }
        }
        let orgB = try TestDatabase.makeOrg(db)
        try event(db, org: orgB, connection: try connection(db, org: orgB.id, name: "B"), n: 0)
        defer {
            for org in [orgA, orgB] {
                try? cancel(Lanes(db: db, org: org, a: "", b: ""))
            }
        }
        // Eight loops at once, each claiming ten times, per-connection cap 2 and org cap 4: without the org cap,
        // A's five connections would hold ten loops' worth of events.
        let results = TestDatabase.concurrently(8) { _ in
            let db = try TestDatabase.connect()
            var lane: String?
            for _ in 0..<10 {
                guard let turn = try claimTurn(db, after: lane, cap: 2, orgCap: 4) else { continue }
                lane = turn.lane
            }
            return 0
        }
        for result in results { _ = try result.get() }
        func delivering(_ org: TestDatabase.Org) throws -> Int {
            try db.query(
                """
                SELECT count(*) AS n FROM ticket_sync.outbox
                WHERE org_id = $1 AND state = 'delivering' AND locked_until >= now()
                """, [org.id]
            ).single("count").int("n")
        }
        #expect(try delivering(orgA) == 4, "org A's events in flight; the org cap is 4")
        #expect(try delivering(orgB) == 1, "org B's event was claimed")
    }

    /// The claims run their generic plan from the first call (PostgreSQL's plan cache kept planning them afresh on
    /// every call, at 10 to 50 times the cost of running them), and the setting ends with the claim's transaction.
    @Test func claimsRunTheirGenericPlanWithoutChangingTheSession() throws {
        let lanes = try lanes(eventsOfA: 8)
        defer { try? cancel(lanes) }
        var lane: String?
        for _ in 0..<6 {
            guard let turn = try claimTurn(lanes.db, after: lane, cap: 100) else { continue }
            lane = turn.lane
            #expect(try lanes.db.query("SHOW plan_cache_mode").single("mode").string("plan_cache_mode") == "auto")
            #expect(try lanes.db.query("SHOW enable_seqscan").single("seqscan").string("enable_seqscan") == "on")
        }
        let events = try lanes.db.query(
            "SELECT event_id FROM ticket_sync.outbox WHERE org_id = $1 AND state = 'pending' ORDER BY id",
            [lanes.org.id]
        ).all.map { $0.string("event_id") }
        #expect(events.count >= 2)
        for eventID in events {
            _ = try OutboxStore(db: lanes.db).claim(limit: 1, leaseSeconds: 60, eventID: eventID)
        }
        let plans = try lanes.db.query(
            """
            SELECT coalesce(sum(generic_plans), 0) AS generic, coalesce(sum(custom_plans), 0) AS custom
            FROM pg_prepared_statements
            WHERE statement LIKE '%WITH RECURSIVE lanes%' OR statement LIKE '%c.event_id = $3::uuid%'
            """
        ).single("plans")
        let generic = try plans.int("generic")
        #expect(generic >= 6 + events.count, "\(generic) generic plans, \(events.count) claims by event")
        #expect(try plans.int("custom") == 0, "a claim was planned for its parameters")
    }

    /// A connection found with nothing due and nothing in flight (every ticket backing off) rests: the process's
    /// next claims leave it out instead of looking at its tickets again, until the rest ends. One with an event in
    /// flight does not (its queued events become due as the flight lands).
    @Test func aLaneWithNothingDueRestsAndIsLeftOutOfTheNextClaims() throws {
        let lanes = try lanes(eventsOfA: 3)
        defer { try? cancel(lanes) }
        func backOff(_ connection: String, _ backingOff: Bool) throws {
            try lanes.db.query(
                """
                UPDATE ticket_sync.outbox SET attempts = 1,
                    next_attempt_at = now() + CASE WHEN $2 THEN interval '1 hour' ELSE interval '-1 hour' END
                WHERE connection_id = $1 AND state = 'pending'
                """, [connection, String(backingOff)])
        }
        try backOff(lanes.a, true)
        let rests = LaneRests(milliseconds: 60_000)
        // After B's lane in turn order comes A's: A is looked at first, found with nothing due, and passed.
        let turn = try OutboxStore(db: lanes.db).claimTurn(
            after: lanes.b, cap: 2, orgCap: 1000, leaseSeconds: 60, graceSeconds: nil, providers: [], rests: rests)
        #expect(turn?.lane == lanes.b)
        let ours = { rests.resting().filter { [lanes.a, lanes.b].contains($0) } }
        #expect(ours() == [lanes.a])
        // A's events are due again, but A rests: this process's claims leave it out; another process's do not.
        try backOff(lanes.a, false)
        let resting = try OutboxStore(db: lanes.db).claimTurn(
            after: nil, cap: 2, orgCap: 1000, leaseSeconds: 60, graceSeconds: nil, providers: [], rests: rests)
        #expect(resting == nil)
        #expect(ours() == [lanes.a], "nothing is due in B either, but its event is in flight: B never rests")
        let elsewhere = try OutboxStore(db: lanes.db).claimTurn(
            after: nil, cap: 2, orgCap: 1000, leaseSeconds: 60, graceSeconds: nil, providers: [],
            rests: LaneRests(milliseconds: 60_000))
        #expect(elsewhere?.lane == lanes.a)
    }
}
