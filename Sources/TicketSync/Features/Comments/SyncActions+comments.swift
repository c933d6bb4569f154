import Foundation
import TicketSyncPlatform

extension SyncActions {
    /// A stored internal comment, and the tracker's echo when it answered with one (the mock does).
    public struct PostedComment {
        public var comment: Comment
        public var echo: Comment?
    }

    /// Records an internal comment. When an open ticket is linked (`link`, read with the authorization), its
    /// `ticket.comment` event is written in the same transaction, then delivered at once within the inline timeout:
    /// the comment comes back `synced` (with the tracker's comment id) or `pending` (the delivery loop retries).
    /// Round trips: the transaction takes two (BEGIN, lock, comment; then event, COMMIT), the attempt's record one.
    public func postComment(org: OrgID, request: EvidenceRequest, author: Principal, body: String, link: TicketLink?)
        throws -> PostedComment
    {
        // Pushed only to an open ticket that exists (not to a reservation whose create has not finished).
        let open = link.flatMap { $0.isClosed || $0.isCreating ? nil : $0 }
        // Resolve the tracker before writing anything: an unusable one answers 503 and stores nothing.
        // Resolved once: the first attempt below uses this provider.
        let config = try open.map { try providers.config(for: $0, db: db) }
        let provider = try config.map { try providers.provider($0) }
        guard let open, let config, let provider else { return PostedComment(comment: try unsynced(), echo: nil) }
        let draft = CommentDraft(org: org, request: request, author: author, body: body, link: open)
        // The first attempt only with a free slot for this tracker (the event is claimed for it as it is written);
        // a busy one leaves the comment `pending` for the delivery loop instead of holding this thread.
        let attempted = try providers.bulkhead.withSlot(TrackerBulkhead.key(config)) { () throws -> PostedComment in
            guard let (comment, claimed) = try store(draft, claimFor: Deliverer.lease(inlineTimeouts)) else {
                return PostedComment(comment: try unsynced(), echo: nil)
            }
            guard let claimed else { return PostedComment(comment: comment, echo: nil) }
            let attempt = try deliverer.attempt(claimed, timeouts: inlineTimeouts, provider: provider)
            return PostedComment(comment: attempt.comment ?? comment, echo: attempt.echo)
        }
        if let attempted { return attempted }
        guard let (comment, _) = try store(draft, claimFor: nil) else {
            return PostedComment(comment: try unsynced(), echo: nil)
        }
        return PostedComment(comment: comment, echo: nil)

        /// Without an open ticket the comment only joins the thread (and the audit trail: one pipeline).
        func unsynced() throws -> Comment {
            let rows = try db.pipeline([
                CommentStore.internalStatement(
                    org: org, request: request.id, authorID: author.userID.rawValue,
                    author: author.displayName, body: body,
                    syncState: nil),
                commentAudit(org: org, request: request.id, link: nil).statement,
            ])
            return try CommentStore.decode(try rows.at(0).single("inserted comment"))
        }
    }

    /// The audit row of a posted comment (its id given, or the one the session's comment insert just took).
    private func commentAudit(org: OrgID, request: EvidenceRequestID, link: TicketLink?, commentID: Int? = nil)
        -> AuditEvent
    {
        var event = AuditEvent(org: org, action: "comment.create", actor: actor)
        event.evidenceRequestID = request
        event.linkID = link?.id
        event.connectionID = link?.connectionID
        event.commentID = commentID
        event.commentJustInserted = commentID == nil
        event.detail = ["pushed": .bool(link != nil)]
        return event
    }

    struct CommentDraft {
        let org: OrgID
        let request: EvidenceRequest
        let author: Principal
        let body: String
        let link: TicketLink
    }

    /// Stores the comment and its event in one transaction: nil (nothing written) when the link stopped being open
    /// meanwhile. With `claimFor`, the event comes back claimed for this request's attempt when it is first in line.
    private func store(_ draft: CommentDraft, claimFor leaseSeconds: Int?) throws -> (Comment, OutboxEvent?)? {
        let eventID = UUID().uuidString.lowercased()
        do {
            // Generic plans, made with sequential scans off (`PGStatement.genericPlans`): the event's insert looks
            // for the ticket's open events, and a plan made while the outbox was nearly empty read the whole outbox
            // on every comment once it had grown (5,700 buffers a comment in the soak, until autovacuum's ANALYZE).
            let opened = try db.pipeline([
                PGStatement("BEGIN"), PGStatement.genericPlans,
                TicketLinkStore.lockOpenStatement(org: draft.org, id: draft.link.id),
                CommentStore.internalStatement(
                    org: draft.org, request: draft.request.id, authorID: draft.author.userID.rawValue,
                    author: draft.author.displayName, body: draft.body, syncState: .pending),
            ])
            guard try opened.at(2).first != nil else {
                db.rollbackIfInTransaction()
                return nil
            }
            let comment = try CommentStore.decode(try opened.at(3).single("inserted comment"))
            let body = EventPayload.comment(
                eventID: eventID, occurredAt: Timestamp.string(), externalID: draft.link.externalID.rawValue,
                orgID: draft.org.rawValue,
                evidenceRequestID: draft.request.id.rawValue, comment: comment)
            let queued = try db.pipeline([
                OutboxStore.enqueueCommentStatement(
                    link: draft.link, commentID: comment.id, eventID: eventID, body: body, claimFor: leaseSeconds),
                commentAudit(org: draft.org, request: draft.request.id, link: draft.link, commentID: comment.id)
                    .statement,
                PGStatement("COMMIT"),
            ])
            let event = try queued.at(0).single("queued event")
            guard event["state"] == "delivering" else { return (comment, nil) }
            let claimed = OutboxEvent(
                id: event.int("id"), eventID: eventID, orgID: draft.org, linkID: draft.link.id,
                connectionID: draft.link.connectionID, evidenceRequestID: draft.request.id,
                commentID: comment.id,
                provider: draft.link.provider, eventType: .comment, body: body.text, attempts: event.int("attempts"),
                externalID: draft.link.externalID, externalRef: draft.link.externalRef,
                leaseToken: event["lease_token"])
            return (comment, claimed)
        } catch {
            db.rollbackIfInTransaction()
            throw error
        }
    }
}
