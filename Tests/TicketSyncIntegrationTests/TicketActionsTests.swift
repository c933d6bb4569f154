import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Creating, closing, retrying and unlinking a ticket (`SyncActions`) against PostgreSQL, with a recording tracker.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct TicketActionsTests {
    static let linkColumns = "SELECT id, state, external_id, create_error, closed_at, closed_by, unlinked_at"

    /// The request's active link row.
    func activeLink(_ t: RecordingTracker) throws -> PGRow? {
        try t.row(
            "\(Self.linkColumns) FROM ticket_sync.ticket_links WHERE org_id = $1 AND evidence_request_id = $2 "
                + "AND unlinked_at IS NULL", [t.org.requestID])
    }

    @Test func aCreateCallsTheTrackerOnceAndStoresTheLinkWithItsAuditRow() throws {
        let t = try RecordingTracker()
        t.http.answer = RecordingTracker.answer(
            201, #"{"external_id":"ADAPT-7","external_url":"https://tracker.example/ADAPT-7"}"#)
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        #expect(link.externalID == "ADAPT-7" && link.provider == "webhook" && !link.isCreating)
        let call = try #require(t.http.sent.only)
        #expect(call.headers["X-Event-Type"] == "ticket.create" && call.headers["X-Event-Id"] == link.id.rawValue)
        let row = try #require(try activeLink(t))
        #expect(row["id"] == link.id.rawValue && row["state"] == "linked" && row["external_id"] == "ADAPT-7")
        let audit = try #require(
            try t.row(
                "SELECT link_id::text, detail->>'external_id' AS external_id FROM ticket_sync.audit_events "
                    + "WHERE org_id = $1 AND action = 'ticket.create'"))
        #expect(audit["link_id"] == link.id.rawValue && audit["external_id"] == "ADAPT-7")
    }

    @Test func aRefusedCreateDropsTheReservationAndLinksNothing() throws {
        let t = try RecordingTracker()
        t.http.answer = RecordingTracker.answer(422, #"{"error":"project archived"}"#)
        let error = try #require(throws: TrackerError.self) {
            try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        }
        #expect(error.status == 502 && error.problem.extensions["tracker_outcome"] == nil)
        #expect(t.http.sent.count == 1)
        #expect(try t.count("SELECT 1 FROM ticket_sync.ticket_links WHERE org_id = $1") == 0)
        #expect(try t.auditActions().contains("ticket.create") == false)
    }

    /// A timeout may have made the ticket: the reservation stays (`creating`, with the error) and a retry resumes it
    /// under the same key (the same X-Event-Id and minted number), then links.
    @Test func anUnknownOutcomeKeepsTheReservationAndARetryResumesByTheSameKey() throws {
        let t = try RecordingTracker()
        t.http.answer = .failure("timed out after 1000 ms")
        let error = try #require(throws: TrackerError.self) {
            try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        }
        #expect(error.status == 502 && error.problem.slug == "provider-request-failed")
        #expect(error.problem.extensions["tracker_outcome"] == .string("unknown"))
        let kept = try #require(try activeLink(t))
        #expect(kept["state"] == "creating" && kept["create_error"]?.isEmpty == false)

        t.http.answer = RecordingTracker.answer(200)
        let (link, requeued) = try t.actions().retrySync(org: t.org.orgID, request: t.request)
        #expect(requeued == 0 && link.id.rawValue == kept["id"] && !link.isCreating)
        let creates = t.calls("ticket.create")
        #expect(creates.count == 2)
        #expect(creates.map { $0.headers["X-Event-Id"] } == [link.id.rawValue, link.id.rawValue])
        let minted = try creates.map { try JSONParser.parse($0.body)["external_id"] }
        #expect(minted[0] == minted[1] && minted[0] == .string(link.externalID.rawValue))
        #expect(try activeLink(t)?["state"] == "linked")
        #expect(try t.auditActions().filter { $0 == "ticket.create" }.count == 1)
    }

    /// A second create while the first is at the tracker: 409 being created, and no tracker call of its own.
    @Test func aConcurrentSecondCreateIs409WithoutCallingTheTracker() throws {
        let t = try RecordingTracker()
        let second = ResultBox<TicketLink>(count: 1)
        let (providers, org, request) = (t.providers, t.org.id, t.request)
        t.http.script = { _, index in
            if index == 0 {
                second.set(
                    0,
                    Result {
                        try RecordingTracker.actions(TestDatabase.connect(), providers: providers).createTicket(
                            org: OrgID(org), request: request, connectionID: nil)
                    })
            }
            return RecordingTracker.answer(200)
        }
        let first = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        guard case .failure(let failure) = try #require(second.values.first) else {
            Issue.record("the second create succeeded")
            return
        }
        let refusal = try #require(failure as? TicketError)
        #expect(refusal == .beingCreated && refusal.status == 409)
        #expect(t.http.sent.count == 1)
        #expect(try activeLink(t)?["id"] == first.id.rawValue)
    }

    @Test func closeMarksTheLinkAndDeliversOneCloseEvent() throws {
        let t = try RecordingTracker()
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        let closed = try t.actions().closeTicket(org: t.org.orgID, request: t.request)
        #expect(closed.isClosed && closed.closedBy == .user)
        let close = try #require(t.calls("ticket.close").only)
        let body = try JSONParser.parse(close.body)
        #expect(body["external_id"] == .string(link.externalID.rawValue) && body["org_id"] == .string(t.org.id))
        let event = try #require(
            try t.row(
                "SELECT event_id::text, state FROM ticket_sync.outbox WHERE org_id = $1 AND link_id = $2",
                [link.id.rawValue]))
        #expect(event["state"] == "delivered" && event["event_id"] == close.headers["X-Event-Id"])
        #expect(try t.auditActions() == ["ticket.create", "ticket.close"])
        #expect(throws: TicketError.alreadyClosed) { try t.actions().closeTicket(org: t.org.orgID, request: t.request) }
    }

    /// Unlinking cancels what was not delivered; the delivery loop never sends it afterwards.
    @Test func unlinkCancelsUndeliveredEventsAndContactsNoTracker() throws {
        let t = try RecordingTracker()
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        t.http.answer = RecordingTracker.answer(500)
        let posted = try t.actions().postComment(
            org: t.org.orgID, request: t.request, author: t.admin, body: "pending one", link: link)
        #expect(posted.comment.syncState == .pending)
        let sentBefore = t.http.sent.count
        try t.actions().unlinkTicket(org: t.org.orgID, request: t.request)
        #expect(t.http.sent.count == sentBefore)
        #expect(
            try t.row("SELECT state FROM ticket_sync.outbox WHERE org_id = $1 AND link_id = $2", [link.id.rawValue])?[
                "state"]
                == "cancelled")
        #expect(try activeLink(t) == nil)
        #expect(
            try t.row(
                "SELECT unlinked_at FROM ticket_sync.ticket_links WHERE org_id = $1 AND id = $2", [link.id.rawValue])?[
                    "unlinked_at"] != nil)
        t.http.answer = RecordingTracker.answer(200)
        let deliverer = Deliverer(db: t.db, providers: t.providers, policy: DeliveryPolicy())
        try t.db.query("SELECT pg_sleep(0.01)")
        _ = try deliverer.deliverNext(linkID: link.id.rawValue, timeouts: RecordingTracker.timeouts)
        #expect(t.http.sent.count == sentBefore)
        let unlink = try #require(
            try t.row(
                "SELECT detail->>'cancelled_events' AS n FROM ticket_sync.audit_events "
                    + "WHERE org_id = $1 AND action = 'ticket.unlink'"))
        #expect(unlink["n"] == "1")
    }

    /// Another org's request answers like a missing one, and its link is untouched.
    @Test func anotherOrgsRequestIsNotFound() throws {
        let t = try RecordingTracker()
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        let other = try TestDatabase.makeOrg(t.db)
        let actions = t.actions()
        #expect(throws: TicketError.noLink) { try actions.closeTicket(org: OrgID(other.id), request: t.request) }
        #expect(throws: TicketError.noLink) { try actions.retrySync(org: OrgID(other.id), request: t.request) }
        #expect(throws: TicketError.noLink) { try actions.unlinkTicket(org: OrgID(other.id), request: t.request) }
        #expect(TicketError.noLink.status == 404)
        #expect(t.http.sent.count == 1)
        let row = try #require(try activeLink(t))
        #expect(row["id"] == link.id.rawValue && row["closed_at"] == nil)
        #expect(
            try TestDatabase.connect().query(
                "SELECT 1 FROM ticket_sync.audit_events WHERE org_id = $1", [other.id]
            ).first == nil)
    }
}

extension Array {
    /// The single element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
