import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Posting a comment (`SyncActions.postComment`) against PostgreSQL, with a recording tracker.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct CommentActionsTests {
    /// The comment's event is written with it and delivered once, inline; the tracker's comment id is stored.
    @Test func aPostedCommentIsDeliveredOnceAndKeepsTheTrackersCommentId() throws {
        let t = try RecordingTracker()
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        t.http.answer = RecordingTracker.answer(200, #"{"external_comment_id":"ext-c-1"}"#)
        let posted = try t.actions().postComment(
            org: t.org.orgID, request: t.request, author: t.admin, body: "Here is the export.", link: link)
        #expect(posted.comment.syncState == .synced && posted.comment.externalCommentID == "ext-c-1")
        let call = try #require(t.calls("ticket.comment").only)
        let body = try JSONParser.parse(call.body)
        #expect(body["comment"]?["body"] == .string("Here is the export."))
        #expect(body["comment"]?["id"] == .number(Double(posted.comment.id)))
        #expect(body["external_id"] == .string(link.externalID.rawValue))
        let events = try t.db.query(
            "SELECT event_id::text, state, attempts, comment_id FROM ticket_sync.outbox "
                + "WHERE org_id = $1 AND link_id = $2",
            [t.org.id, link.id.rawValue]
        ).all
        #expect(events.count == 1)
        #expect(events.first?["state"] == "delivered" && events.first?["attempts"] == "1")
        #expect(events.first?["event_id"] == call.headers["X-Event-Id"])
        #expect(events.first?["comment_id"] == String(posted.comment.id))
        let stored = try #require(
            try t.row(
                "SELECT sync_state, external_comment_id FROM ticket_sync.comments WHERE org_id = $1 AND id = $2",
                [String(posted.comment.id)]))
        #expect(stored["sync_state"] == "synced" && stored["external_comment_id"] == "ext-c-1")
        #expect(try t.auditActions() == ["ticket.create", "comment.create"])
    }

    /// A comment's writes run their generic plans, made with sequential scans off, from the first comment: a plan
    /// made while the outbox was nearly empty read the whole outbox for each comment's event once it had grown.
    /// The settings end with the comment's transaction.
    @Test func aCommentsWritesRunTheirGenericPlansWithoutChangingTheSession() throws {
        let t = try RecordingTracker()
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        t.http.answer = RecordingTracker.answer(200, #"{"external_comment_id":"ext-c"}"#)
        for n in 0..<3 {
            _ = try t.actions().postComment(
                org: t.org.orgID, request: t.request, author: t.admin, body: "Export \(n)", link: link)
            #expect(try t.db.query("SHOW plan_cache_mode").single("mode").string("plan_cache_mode") == "auto")
            #expect(try t.db.query("SHOW enable_seqscan").single("seqscan").string("enable_seqscan") == "on")
        }
        let plans = try t.db.query(
            """
            SELECT coalesce(sum(generic_plans), 0) AS generic, coalesce(sum(custom_plans), 0) AS custom
            FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO ticket_sync.outbox AS o%'
            """
        ).single("plans")
        #expect(try plans.int("generic") == 3)
        #expect(try plans.int("custom") == 0, "the comment's event was planned for its parameters")
    }

    /// Without a linked ticket the comment only joins the thread: no event, no tracker call.
    @Test func withoutALinkNothingIsSent() throws {
        let t = try RecordingTracker()
        let posted = try t.actions().postComment(
            org: t.org.orgID, request: t.request, author: t.admin, body: "internal only", link: nil)
        #expect(posted.comment.syncState == nil)
        #expect(t.http.sent.isEmpty)
        #expect(try t.count("SELECT 1 FROM ticket_sync.outbox WHERE org_id = $1") == 0)
        #expect(try t.auditActions() == ["comment.create"])
    }
}
