import Foundation
import Testing

@testable import TicketSync

/// A tracker's status change applied to a link (`TrackerStatusSync`) against PostgreSQL.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct TrackerStatusSyncTests {
    static let now = Int64(Date().timeIntervalSince1970 * 1000)

    func linked(_ t: RecordingTracker) throws -> TicketLink {
        try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
    }

    /// Done closes the link as closed by the tracker, moves the request to submitted (the standard map), writes the
    /// thread's system entry and the audit row, and sends nothing back.
    @Test func doneClosesTheLinkByTheTrackerAndSubmitsTheRequest() throws {
        let t = try RecordingTracker()
        let link = try linked(t)
        let sync = TrackerStatusSync(db: t.db, link: link, actor: .system)
        let done = TrackerStatusChange(name: "Done", category: .done, milliseconds: Self.now, actor: "Dana")
        #expect(try sync.apply(done, map: .standard) == .applied(status: "submitted", link: "closed"))
        let row = try #require(
            try t.row(
                "SELECT closed_at, closed_by, tracker_status, tracker_status_category FROM ticket_sync.ticket_links "
                    + "WHERE org_id = $1 AND id = $2", [link.id.rawValue]))
        #expect(row["closed_at"] != nil && row["closed_by"] == "tracker")
        #expect(row["tracker_status"] == "Done" && row["tracker_status_category"] == "done")
        #expect(
            try t.row("SELECT status FROM evidence_requests WHERE org_id = $1 AND id = $2", [t.org.requestID])?[
                "status"] == "submitted")
        let entry = try #require(
            try t.row("SELECT author, body FROM ticket_sync.comments WHERE org_id = $1 AND source = 'system'"))
        #expect(entry["author"] == "Dana")
        #expect(entry["body"] == "Resolved in the tracker by Dana (Done); evidence request set to submitted")
        #expect(try t.auditActions() == ["ticket.create", "inbound.applied"])
        #expect(try t.count("SELECT 1 FROM ticket_sync.outbox WHERE org_id = $1") == 0)
        #expect(t.http.sent.count == 1, "only the create: a tracker's close is never sent back")
    }

    /// An event older than the last one applied changes nothing, however it would move the link.
    @Test func anOlderEventIsStale() throws {
        let t = try RecordingTracker()
        let link = try linked(t)
        let sync = TrackerStatusSync(db: t.db, link: link, actor: .system)
        let done = TrackerStatusChange(name: "Done", category: .done, milliseconds: Self.now)
        #expect(try sync.apply(done, map: .standard) == .applied(status: "submitted", link: "closed"))
        let older = TrackerStatusChange(name: "In Progress", category: .indeterminate, milliseconds: Self.now - 5_000)
        #expect(try sync.apply(older, map: .standard) == .stale)
        let row = try #require(
            try t.row(
                "SELECT closed_at, tracker_status FROM ticket_sync.ticket_links WHERE org_id = $1 AND id = $2",
                [link.id.rawValue]))
        #expect(row["closed_at"] != nil && row["tracker_status"] == "Done")
        #expect(try t.auditActions().filter { $0 == "inbound.applied" }.count == 1)
        // A newer move out of done reopens it.
        let newer = TrackerStatusChange(name: "In Progress", category: .indeterminate, milliseconds: Self.now + 5_000)
        #expect(try sync.apply(newer, map: .standard) == .applied(status: nil, link: "reopened"))
    }
}
