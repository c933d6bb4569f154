import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// A create that outlives its lease is taken over; the reservation's token then refuses the first create's writes.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct ReservationTests {
    /// Reserves, then lets the lease run out (set in the past rather than waited for).
    func expiredReservation(_ db: PGConnection, org: TestDatabase.Org) throws -> Reservation {
        let first = try TicketLinkStore(db: db).reserve(
            org: org.orgID, request: org.evidenceRequestID, provider: "jira", connectionID: nil, leaseSeconds: 30)
        try db.query(
            """
            UPDATE ticket_sync.ticket_links SET creating_until = clock_timestamp() - interval '1 second',
                tracker_attempt_at = clock_timestamp() - interval '40 seconds'
            WHERE id = $1
            """, [first.link.id.rawValue])
        return first
    }

    func ticket(_ id: String) -> CreatedTicket {
        CreatedTicket(
            provider: "jira", externalID: ExternalTicketID(id), externalURL: "https://jira.invalid/browse/\(id)",
            externalRef: id)
    }

    @Test func aCreateTakenOverAfterItsLeaseCannotCompleteOverTheOneThatTookOver() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let links = TicketLinkStore(db: db)
        let first = try expiredReservation(db, org: org)
        #expect(first.sinceTrackerAttempt == nil, "a fresh reservation resumes nothing")

        let second = try #require(
            try links.takeOverReservation(org: org.orgID, request: org.evidenceRequestID, leaseSeconds: 30))
        #expect(second.link.id == first.link.id && second.token != first.token)
        #expect((second.sinceTrackerAttempt ?? 0) >= 39, "how long ago the first create asked the tracker")
        #expect(try links.markTrackerAttempt(second))
        #expect(try !links.markTrackerAttempt(first))

        // The first create's tracker call finally answers: its completion is refused.
        #expect(try links.complete(first, ticket: ticket("A-1")) == nil)
        let stillCreating = try #require(try links.active(org: org.orgID, request: org.evidenceRequestID))
        #expect(stillCreating.isCreating)
        // Neither can it fail or drop the reservation it lost.
        try links.failReservation(first, reason: "late failure")
        try links.dropReservation(first)
        let untouched = try #require(try links.active(org: org.orgID, request: org.evidenceRequestID))
        #expect(untouched.isCreating && untouched.createError == nil)

        // The create that took over completes; the first one still cannot overwrite it.
        let linked = try #require(try links.complete(second, ticket: ticket("A-2")))
        #expect(linked.externalID == "A-2" && !linked.isCreating)
        #expect(try links.complete(first, ticket: ticket("A-1")) == nil)
        #expect(try links.active(org: org.orgID, request: org.evidenceRequestID)?.externalID == "A-2")
    }

    @Test func aLeaseThatStillRunsCannotBeTakenOverAndAReleasedOneCanAtOnce() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let links = TicketLinkStore(db: db)
        let held = try links.reserve(
            org: org.orgID, request: org.evidenceRequestID, provider: "jira", connectionID: nil, leaseSeconds: 30)
        #expect(try links.takeOverReservation(org: org.orgID, request: org.evidenceRequestID, leaseSeconds: 30) == nil)
        try links.releaseReservation(held)
        let resumed = try #require(
            try links.takeOverReservation(org: org.orgID, request: org.evidenceRequestID, leaseSeconds: 30))
        #expect(resumed.isResumed && (resumed.sinceTrackerAttempt ?? -1) >= 0)
    }

    @Test func twentyConcurrentTakeOversGiveOneOwner() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        _ = try expiredReservation(db, org: org)
        let results = TestDatabase.concurrently(20) { _ in
            try TicketLinkStore(db: TestDatabase.connect()).takeOverReservation(
                org: org.orgID, request: org.evidenceRequestID, leaseSeconds: 30)
        }
        #expect(results.compactMap { try? $0.get() }.compactMap { $0 }.count == 1)
    }

    @Test func theLoserOfATakeOverIsToldWhatItMadeAndWhatIsLinked() {
        let problem = TicketError.createSuperseded(made: "GRC-7", linked: "GRC-8")
        #expect(problem.status == 409 && problem.problem.slug == "ticket-create-superseded")
        #expect(problem.problem.detail.contains("GRC-7") && problem.problem.detail.contains("GRC-8"))
    }
}
