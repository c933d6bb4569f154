import Foundation

extension SyncActions {
    /// A stored internal comment, and the tracker's echo when it answered with one (the mock does).
    public struct PostedComment {
        public var comment: Comment
        public var echo: Comment?
    }

    /// Records an internal comment. When an open ticket is linked, its `ticket.comment` event is written in the same
    /// transaction, then delivered at once within the inline timeout: the comment comes back `synced` (with the
    /// tracker's comment id) or `pending` (the delivery loop retries).
    public func postComment(org: String, request: EvidenceRequest, author: Principal, body: String) throws
        -> PostedComment
    {
        // Pushed only to an open ticket that exists (not to a reservation whose create has not finished).
        let link = try links.active(org: org, request: request.id).flatMap { $0.isClosed || $0.isCreating ? nil : $0 }
        // Resolve the tracker before writing anything: an unusable one answers 503 and stores nothing.
        let config = try link.map { try providers.config(for: $0, db: db) }
        if let config { _ = try providers.provider(config) }
        let comments = CommentStore(db: db)
        let eventID = UUID().uuidString.lowercased()
        let stored = try db.transaction { () throws -> Comment in
            let comment = try comments.insertInternal(
                org: org, request: request.id, authorID: author.userID, author: author.displayName, body: body,
                syncState: link == nil ? nil : "pending")
            if let link {
                try OutboxStore(db: db).enqueue(
                    link: link, commentID: comment.id, type: .comment, eventID: eventID,
                    body: EventPayload.comment(
                        eventID: eventID, occurredAt: Timestamp.string(), externalID: link.externalID,
                        orgID: org, evidenceRequestID: request.id, comment: comment))
            }
            return comment
        }
        guard let config else { return PostedComment(comment: stored, echo: nil) }
        // The first attempt only with a free slot for this tracker: a busy one leaves the comment `pending` for the
        // delivery loop instead of holding this thread.
        let echo =
            try providers.bulkhead.withSlot(TrackerBulkhead.key(config)) {
                try deliverer.deliverNow(eventID: eventID, timeouts: inlineTimeouts)
            } ?? nil
        return PostedComment(comment: try comments.find(org: org, id: stored.id) ?? stored, echo: echo)
    }
}
