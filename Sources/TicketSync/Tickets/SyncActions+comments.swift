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
        let link = try links.active(org: org, request: request.id).flatMap { $0.isClosed ? nil : $0 }
        // Resolve the tracker before writing anything: an unusable one answers 503 and stores nothing.
        if let link { _ = try providers.provider(providers.config(for: link, db: db)) }
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
        guard link != nil else { return PostedComment(comment: stored, echo: nil) }
        let echo = try deliverer.deliverNow(eventID: eventID, timeouts: inlineTimeouts)
        return PostedComment(comment: try comments.find(org: org, id: stored.id) ?? stored, echo: echo)
    }
}
