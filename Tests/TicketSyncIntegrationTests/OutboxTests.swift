import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The outbox against PostgreSQL: order per link, SKIP LOCKED claims, leases, limits and re-queueing.
/// Serialized: the concurrent-claim test claims every due event in the database, so it must run alone.
@Suite(.serialized, .enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct OutboxTests {
    struct Fixture {
        let db: PGConnection
        let org: TestDatabase.Org
        let link: TicketLink
    }

    func fixture() throws -> Fixture {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let link = try TicketLinkStore(db: db).insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "webhook", externalID: "wh-test-\(org.id)", externalURL: nil))
        return Fixture(db: db, org: org, link: link)
    }

    func enqueue(_ f: Fixture, _ count: Int) throws -> [String] {
        try (0..<count).map { index in
            let eventID = UUID().uuidString.lowercased()
            try OutboxStore(db: f.db).enqueue(
                link: f.link, commentID: nil,
                type: .close, eventID: eventID, body: .object(["n": .int(index)]))
            return eventID
        }
    }

    /// Only this link's events: other tests enqueue in the same database at the same time.
    func claim(_ f: Fixture, lease: Int = 60, db: PGConnection? = nil) throws -> [OutboxEvent] {
        try OutboxStore(db: db ?? f.db).claim(limit: 10, leaseSeconds: lease, linkID: f.link.id)
    }

    @Test func eventsOfOneLinkAreClaimedOneAtATimeInOrder() throws {
        let f = try fixture()
        let ids = try enqueue(f, 3)
        let first = try claim(f)
        #expect(first.map(\.eventID) == [ids[0]])
        #expect(try claim(f).isEmpty, "the second waits while the first is in flight")
        try OutboxStore(db: f.db).markDelivered(first[0], status: 200)
        #expect(try claim(f).map(\.eventID) == [ids[1]])
    }

    @Test func aFailedEventHoldsBackLaterOnesUntilRequeued() throws {
        let f = try fixture()
        let ids = try enqueue(f, 2)
        let first = try claim(f)[0]
        try OutboxStore(db: f.db).markFailed(first, status: 410, reason: "HTTP 410 Gone")
        #expect(try claim(f).isEmpty)
        #expect(
            try TicketLinkStore(db: f.db).active(org: f.org.orgID, request: f.org.evidenceRequestID)?.syncState
                == .error)
        #expect(try OutboxStore(db: f.db).requeueFailed(org: f.org.orgID, linkID: f.link.id) == 1)
        let again = try claim(f)
        #expect(again.map(\.eventID) == [ids[0]])
        #expect(again.first?.attempts == 1, "a re-queued event starts a fresh attempt budget")
    }

    @Test func concurrentClaimersNeverShareAnEvent() throws {
        // Ten links with one event each, claimed by five connections at once.
        let fixtures = try (0..<10).map { _ in try fixture() }
        for f in fixtures { _ = try enqueue(f, 1) }
        let links = Set(fixtures.map(\.link.id))
        let results = TestDatabase.concurrently(5) { _ in
            try OutboxStore(db: TestDatabase.connect()).claim(limit: 100, leaseSeconds: 60).filter {
                links.contains($0.linkID)
            }
        }
        let claimed = try results.flatMap { try $0.get().map(\.eventID) }
        #expect(claimed.count == Set(claimed).count, "no event claimed twice")
        #expect(claimed.count == 10)
    }

    @Test func anExpiredLeaseIsClaimedAgainWithTheSameEventId() throws {
        let f = try fixture()
        let ids = try enqueue(f, 1)
        let first = try claim(f, lease: 0)
        try f.db.query("SELECT pg_sleep(0.01)")
        let second = try claim(f)
        #expect(first.map(\.eventID) == ids)
        #expect(second.map(\.eventID) == ids)
        #expect(second.first?.attempts == 2)
    }

    /// A loop whose lease ran out (its tracker was slower than the lease) can never overwrite what the loop that
    /// claimed the event after it recorded: every state change is conditional on the lease token it holds.
    @Test func aStaleLoopsUpdateIsRefused() throws {
        let f = try fixture()
        let ids = try enqueue(f, 1)
        let stale = try #require(try claim(f, lease: 0).first)
        try f.db.query("SELECT pg_sleep(0.01)")
        let current = try #require(try claim(f).first)
        #expect(stale.eventID == ids[0] && current.eventID == ids[0] && stale.leaseToken != current.leaseToken)
        let outbox = OutboxStore(db: f.db)
        #expect(try outbox.markDelivered(current, status: 200))
        #expect(try !outbox.scheduleRetry(stale, afterMilliseconds: 0, status: 500, reason: "late"))
        #expect(try !outbox.markFailed(stale, status: 410, reason: "late"))
        #expect(try !outbox.markDelivered(stale, status: 200), "recorded once")
        let state = try f.db.query("SELECT state, last_error FROM ticket_sync.outbox WHERE event_id = $1", [ids[0]])
            .first
        #expect(state?.string("state") == "delivered" && state?["last_error"] == nil)
    }

    @Test func unlinkingCancelsUndeliveredEventsWhichAreNeverClaimed() throws {
        let f = try fixture()
        _ = try enqueue(f, 2)
        let inFlight = try #require(try claim(f).first)
        #expect(try OutboxStore(db: f.db).cancelUndelivered(org: f.org.orgID, linkID: f.link.id) == 2)
        #expect(try claim(f, lease: 0).isEmpty)
        #expect(try !OutboxStore(db: f.db).markDelivered(inFlight, status: 200), "an attempt under way is not recorded")
        let states = try f.db.query("SELECT state FROM ticket_sync.outbox WHERE link_id = $1", [f.link.id.rawValue]).all
        #expect(states.map { $0.string("state") } == ["cancelled", "cancelled"])
    }

    @Test func aLoopOnlyClaimsEventsOfProvidersItCanDeliver() throws {
        let f = try fixture()
        _ = try enqueue(f, 1)
        let outbox = OutboxStore(db: f.db)
        #expect(try outbox.claim(limit: 10, leaseSeconds: 60, linkID: f.link.id, providers: ["mock"]).isEmpty)
        #expect(
            try outbox.claim(limit: 10, leaseSeconds: 60, linkID: f.link.id, providers: ["mock", "webhook"])
                .count == 1)
    }

    @Test func deliveredEventsArePrunedAfterTheRetention() throws {
        let f = try fixture()
        _ = try enqueue(f, 2)
        let first = try claim(f)[0]
        try OutboxStore(db: f.db).markDelivered(first, status: 200)
        try f.db.query(
            "UPDATE ticket_sync.outbox SET delivered_at = now() - interval '8 days' WHERE id = $1", [String(first.id)])
        #expect(try OutboxStore(db: f.db).pruneDelivered(olderThanDays: 7) >= 1)
        let left = try f.db.query("SELECT state FROM ticket_sync.outbox WHERE link_id = $1", [f.link.id.rawValue]).all
            .map {
                $0.string("state")
            }
        #expect(left == ["pending"], "undelivered events are never pruned")
    }

    /// A loop draining a ticket's backlog claims each next event in the round trip that records the one before.
    @Test func aBacklogDrainsInOrderAtOneRoundTripPerEvent() throws {
        let f = try fixture()
        let ids = try enqueue(f, 5)
        let http = RecordingHTTP()
        http.answer = .response(status: 200, headers: [:], body: [])
        let settings = Settings(environment: [
            "TICKET_WEBHOOK_URL": "http://127.0.0.1:1/h", "TICKET_WEBHOOK_SECRET": "s",
        ])
        let deliverer = Deliverer(
            db: f.db, providers: ProviderRegistry(settings: settings, http: http), policy: DeliveryPolicy())
        let timeouts = HTTPTimeouts(connect: 1, total: 1)
        var event = try #require(try claim(f).first)
        var delivered: [String] = []
        while true {
            f.db.meter.reset()
            let attempt = try deliverer.attempt(event, timeouts: timeouts, chaining: true)
            #expect(attempt.delivered)
            #expect(f.db.meter.roundTrips == 1, "the outcome and the next claim in one round trip")
            delivered.append(event.eventID)
            guard let next = attempt.next else { break }
            #expect(next.attempts == 1 && next.linkID == f.link.id, "claimed under a lease of its own")
            event = next
        }
        #expect(delivered == ids)
        #expect(http.sent.count == 5)
        #expect(try claim(f).isEmpty)
    }

    /// A comment queued behind another of its ticket gets no attempt from its writer, so the loops take it as soon as
    /// it is the ticket's first, without the grace they leave a writer for its own attempt.
    @Test func aCommentQueuedBehindAnotherIsDueOnceFirstWithoutTheWritersGrace() throws {
        let f = try fixture()
        let comments = CommentStore(db: f.db)
        func post(_ body: String) throws -> String {
            let comment = try comments.insertInternal(
                org: f.org.orgID, request: f.org.evidenceRequestID, authorID: f.org.adminID, author: "A", body: body,
                syncState: .pending)
            return try f.db.query(
                OutboxStore.enqueueCommentStatement(
                    link: f.link, commentID: comment.id, eventID: UUID().uuidString.lowercased(), body: .object([:]),
                    claimFor: 60)
            ).single("event").string("state")
        }
        #expect(try post("first") == "delivering", "claimed for its writer's attempt")
        #expect(try post("second") == "pending", "queued behind the first")
        try f.db.query(
            "UPDATE ticket_sync.outbox SET state = 'delivered' WHERE link_id = $1 AND state = 'delivering'",
            [f.link.id.rawValue])
        let next = try OutboxStore(db: f.db).claim(limit: 1, leaseSeconds: 60, linkID: f.link.id, graceSeconds: 3600)
        #expect(next.count == 1, "due at once, though queued a moment ago and the grace is an hour")
        // A writer's own event (a close, attempted by the request that queued it) still gets the grace.
        _ = try enqueue(f, 1)
        try f.db.query("UPDATE ticket_sync.outbox SET state = 'delivered' WHERE id = $1", [String(next[0].id)])
        #expect(
            try OutboxStore(db: f.db).claim(limit: 1, leaseSeconds: 60, linkID: f.link.id, graceSeconds: 3600).isEmpty)
    }

    @Test func retriesAreScheduledLaterAndTheLimitMarksTheCommentFailed() throws {
        let f = try fixture()
        let comments = CommentStore(db: f.db)
        let comment = try comments.insertInternal(
            org: f.org.orgID, request: f.org.evidenceRequestID, authorID: f.org.adminID,
            author: "A", body: "b", syncState: .pending)
        let eventID = UUID().uuidString.lowercased()
        try OutboxStore(db: f.db).enqueue(
            link: f.link, commentID: comment.id,
            type: .comment, eventID: eventID, body: .object([:]))
        let http = RecordingHTTP()
        http.answer = .response(status: 500, headers: [:], body: [])
        let settings = Settings(environment: [
            "TICKET_WEBHOOK_URL": "http://127.0.0.1:1/h", "TICKET_WEBHOOK_SECRET": "s",
        ])
        let deliverer = Deliverer(
            db: f.db, providers: ProviderRegistry(settings: settings, http: http),
            policy: DeliveryPolicy(baseMilliseconds: 1, capSeconds: 1, maxAttempts: 2))
        let timeouts = HTTPTimeouts(connect: 1, total: 1)
        _ = try deliverer.deliverNow(eventID: eventID, timeouts: timeouts)
        #expect(try comments.find(org: f.org.orgID, id: comment.id)?.syncState == .pending)
        try f.db.query("SELECT pg_sleep(0.05)")
        _ = try deliverer.deliverNext(linkID: f.link.id.rawValue, timeouts: timeouts)
        let failed = try comments.find(org: f.org.orgID, id: comment.id)
        #expect(failed?.syncState == .error)
        #expect(failed?.lastError?.contains("gave up after 2 attempts") == true)
        #expect(http.sent.count == 2)
    }
}
