import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// What a sweep found, applied to a link (`SweepApplier`) against PostgreSQL: each repair once, with its ledger row.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct SweepApplierTests {
    static let now = Int64(Date().timeIntervalSince1970 * 1000)

    func linked(_ t: RecordingTracker) throws -> TicketLink {
        try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
    }

    func applier(_ t: RecordingTracker, _ foundBy: String = "sweep") -> SweepApplier {
        SweepApplier(db: t.db, scope: .deployment, statusMap: .standard, foundBy: foundBy, metrics: nil)
    }

    func ledger(_ t: RecordingTracker) throws -> [String] {
        try t.db.query(
            """
            SELECT detail ->> 'what' AS what FROM ticket_sync.audit_events
            WHERE org_id = $1 AND action = 'sync.drift_repaired' ORDER BY id
            """, [t.org.id]
        ).all.map { $0.string("what") }
    }

    static func reply(_ id: String) -> InboundEvent.ExternalComment {
        InboundEvent.ExternalComment(externalCommentID: id, author: "Dana", body: "Attached the export")
    }

    /// A comment the webhook missed is added once, with one ledger row; found again (a second sweep) it adds nothing.
    @Test func aMissedCommentIsAddedOnce() throws {
        let t = try RecordingTracker()
        let link = try linked(t)
        let ticket = SweptTicket(externalID: link.externalID, comments: [Self.reply("c-1")], changedAt: Self.now)
        let first = try #require(try applier(t).apply(ticket))
        #expect(first.repairs.commentsAdded == 1)
        let again = try #require(try applier(t).apply(ticket))
        #expect(again.repairs.commentsAdded == 0 && again.repairs.count == 0)
        #expect(try t.count("SELECT 1 FROM ticket_sync.comments WHERE org_id = $1 AND source = 'external'") == 1)
        #expect(try ledger(t) == ["comment"])
        #expect(
            try t.row("SELECT last_verified_at FROM ticket_sync.ticket_links WHERE org_id = $1")?["last_verified_at"]
                != nil)
    }

    /// The status the link already has is no drift; a move to done closes the link once (ledger: closed), a reopen
    /// after it is a status repair, and the same reopen found again is nothing.
    @Test func statusDriftIsRepairedOnceInOrder() throws {
        let t = try RecordingTracker()
        var link = try linked(t)
        let todo = TrackerStatusChange(name: "To Do", category: .new, milliseconds: Self.now)
        #expect(try applier(t).apply(SweptTicket(externalID: link.externalID, status: todo), to: link).count == 0)
        let done = TrackerStatusChange(name: "Done", category: .done, milliseconds: Self.now + 1000)
        let closed = try applier(t).apply(SweptTicket(externalID: link.externalID, status: done), to: link)
        #expect(closed.link == "closed" && closed.requestStatus == "submitted" && closed.statusAfter == "Done")
        link = try #require(try TicketLinkStore(db: t.db).active(org: t.org.orgID, request: t.org.evidenceRequestID))
        #expect(try applier(t).apply(SweptTicket(externalID: link.externalID, status: done), to: link).count == 0)
        let reopened = TrackerStatusChange(name: "In Progress", category: .indeterminate, milliseconds: Self.now + 2000)
        let repairs = try applier(t, "resync").apply(
            SweptTicket(externalID: link.externalID, status: reopened), to: link)
        #expect(repairs.link == "reopened" && repairs.statusBefore == "Done")
        #expect(try ledger(t) == ["closed", "status"])
        #expect(
            try t.count(
                "SELECT 1 FROM ticket_sync.audit_events WHERE org_id = $1 AND detail ->> 'found_by' = 'resync'") == 1)
    }

    /// A deleted ticket marks the link once.
    @Test func aDeletionIsMarkedOnce() throws {
        let t = try RecordingTracker()
        let link = try linked(t)
        #expect(try applier(t).apply(.gone(link.externalID), to: link).deleted)
        #expect(!(try applier(t).apply(.gone(link.externalID), to: link).deleted))
        #expect(try ledger(t) == ["deleted"])
        let row = try #require(try t.row("SELECT tracker_error FROM ticket_sync.ticket_links WHERE org_id = $1"))
        #expect(row["tracker_error"] == "Deleted in the tracker")
    }

    /// While one of our comments waits in the outbox, the tracker's comments are not compared (ours would look like
    /// a reply) and the link is not marked verified.
    @Test func commentsWaitWhileOneOfOursIsOnItsWay() throws {
        let t = try RecordingTracker()
        let link = try linked(t)
        try t.db.query(
            """
            INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, state)
            VALUES ($1, $2, 'webhook', 'ticket.comment', '{}', 'pending')
            """, [t.org.id, link.id.rawValue])
        let repairs = try applier(t).apply(
            SweptTicket(externalID: link.externalID, comments: [Self.reply("ours-maybe")]), to: link)
        #expect(repairs.deferred && repairs.commentsAdded == 0)
        #expect(
            try t.row("SELECT last_verified_at FROM ticket_sync.ticket_links WHERE org_id = $1")?["last_verified_at"]
                == nil)
    }

    /// A ticket no active link has (unlinked, or not ours) is not applied.
    @Test func anUnknownTicketIsIgnored() throws {
        let t = try RecordingTracker()
        #expect(try applier(t).apply(SweptTicket(externalID: "not-ours-\(UUID())", comments: [Self.reply("x")])) == nil)
    }
}

/// A status a sweep applied, reported again by the webhook a moment later: nothing more is written.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct LateWebhookAfterSweepTests {
    @Test func theSameStatusLaterIsNoChange() throws {
        let t = try RecordingTracker()
        let link = try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: nil)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let done = TrackerStatusChange(name: "Done", category: .done, milliseconds: now)
        let swept = SweepApplier(db: t.db, scope: .deployment, statusMap: .standard, foundBy: "sweep", metrics: nil)
        #expect(try swept.apply(SweptTicket(externalID: link.externalID, status: done), to: link).link == "closed")
        let closed = try #require(
            try TicketLinkStore(db: t.db).active(org: t.org.orgID, request: t.org.evidenceRequestID))
        let webhook = TrackerStatusSync(db: t.db, link: closed, actor: .system)
        var later = done
        later.milliseconds += 7
        #expect(try webhook.apply(later, map: .standard) == .stale)
        #expect(try t.count("SELECT 1 FROM ticket_sync.comments WHERE org_id = $1 AND source = 'system'") == 1)
        // Still ordered: an older move is stale against the later time.
        let older = TrackerStatusChange(name: "In Progress", category: .indeterminate, milliseconds: now + 3)
        #expect(try webhook.apply(older, map: .standard) == .stale)
    }
}
