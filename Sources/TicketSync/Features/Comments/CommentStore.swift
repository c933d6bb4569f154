import TicketSyncPlatform

/// The comment thread of an evidence request, always scoped by org.
public struct CommentStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    static let columns = """
        id, source, author, body, external_comment_id, sync_state, last_error,
        \(PGTimestamp.column("created_at")) AS created_at
        """

    /// Oldest first, ties broken by id.
    public enum ThreadSlice {
        /// The start of the thread.
        case first
        /// The comments right after a position.
        case after(createdAt: String, id: Int)
        /// The comments right before a position.
        case before(createdAt: String, id: Int)
        /// The end of the thread.
        case newest
    }

    /// Up to `limit` comments of a slice of the path's thread, read with the authorization; the rows come back in
    /// thread order (created_at, id), oldest first.
    static func pageQuery(slice: ThreadSlice, limit: Int) -> ReadQuery {
        switch slice {
        case .first: Self.firstPage.with([String(limit)])
        case .newest: Self.newestPage.with([String(limit)])
        case .after(let createdAt, let id): Self.pageAfter.with([String(limit), createdAt, String(id)])
        case .before(let createdAt, let id): Self.pageBefore.with([String(limit), createdAt, String(id)])
        }
    }

    private static let pageBase = """
        SELECT \(columns) FROM ticket_sync.comments c
        WHERE c.org_id = auth.auth_request_org_id AND c.evidence_request_id = auth.auth_request_id
        """
    // Ordered by the table's columns (not the formatted created_at), so the thread index gives the order. No outer
    // ORDER BY (it cost the database a sort per page): the one authorization row joins the page laterally, so the
    // rows come in the subquery's order; the route still checks that order.
    // Run with their generic plan (`ReadQuery.genericPlan`): once a thread had grown to thousands of comments and
    // autovacuum had analyzed them, PostgreSQL's plan cache planned the page afresh on every request (for a generic
    // plan `LIMIT $4` is unknown and estimated at a tenth of the thread), 0.25 ms each: the soak's fall after its
    // first window (docs/performance.md, "After issue 24's fourth round").
    private static let forward = " ORDER BY c.created_at, c.id LIMIT $4"
    private static let backward = " ORDER BY c.created_at DESC, c.id DESC LIMIT $4"
    private static let firstPage = ReadQuery(pageBase + forward, genericPlan: true)
    private static let newestPage = ReadQuery(pageBase + backward, genericPlan: true)
    private static let pageAfter = ReadQuery(
        pageBase + " AND (c.created_at, c.id) > ($5::timestamptz, $6::bigint)" + forward, genericPlan: true)
    private static let pageBefore = ReadQuery(
        pageBase + " AND (c.created_at, c.id) < ($5::timestamptz, $6::bigint)" + backward, genericPlan: true)

    public func thread(org: OrgID, request: EvidenceRequestID) throws -> [Comment] {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.comments
            WHERE org_id = $1 AND evidence_request_id = $2 ORDER BY created_at, id
            """, [org.rawValue, request.rawValue]
        ).all.map(Self.decode)
    }

    public func insertInternal(
        org: OrgID, request: EvidenceRequestID, authorID: String, author: String,
        body: String, syncState: Comment.SyncState?
    ) throws -> Comment {
        try Self.decode(
            try db.query(
                Self.internalStatement(
                    org: org, request: request, authorID: authorID, author: author, body: body,
                    syncState: syncState)
            ).single("inserted comment"))
    }

    /// Stamps the provider's id onto a pushed internal comment. Should the thread already hold that id (an inbound
    /// comment got there first), the comment keeps a minted id instead, so the delivery is never stuck on it.
    public func markSynced(org: OrgID, id: Int, externalCommentID: String) throws -> Comment {
        try Self.decode(
            try db.query(Self.syncedStatement(org: org, id: id, externalCommentID: externalCommentID, heldBy: nil))
                .single("synced comment"))
    }

    /// A pushed comment the provider refused for good: shown with its error until someone retries.
    public func markFailed(org: OrgID, id: Int, reason: String) throws {
        try db.query(Self.failedStatement(org: org, id: id, reason: reason, heldBy: nil))
    }

    /// Comments of a link's failed events go back to pending when the events are re-queued.
    public func markRequeued(org: OrgID, linkID: TicketLinkID) throws {
        try db.query(
            """
            UPDATE ticket_sync.comments SET sync_state = 'pending', last_error = NULL
            WHERE org_id = $1 AND id IN (SELECT comment_id FROM ticket_sync.outbox
                                         WHERE org_id = $1 AND link_id = $2 AND state = 'failed')
            """, [org.rawValue, linkID.rawValue])
    }

    /// Comments whose push was cancelled with their ticket's unlink: not sent, and nothing is linked to send them to.
    public func markCancelled(org: OrgID, linkID: TicketLinkID) throws {
        try db.query(
            """
            UPDATE ticket_sync.comments SET sync_state = NULL, last_error = 'not sent: the ticket was unlinked first'
            WHERE org_id = $1 AND sync_state IN ('pending', 'error')
              AND id IN (SELECT comment_id FROM ticket_sync.outbox
                         WHERE org_id = $1 AND link_id = $2 AND state = 'cancelled')
            """, [org.rawValue, linkID.rawValue])
    }

    public func find(org: OrgID, id: Int) throws -> Comment? {
        try db.query(
            "SELECT \(Self.columns) FROM ticket_sync.comments WHERE org_id = $1 AND id = $2",
            [org.rawValue, String(id)]
        ).first.map(Self.decode)
    }

    /// Records an external comment once: nil when a comment with that external id is already in the thread.
    public func insertExternal(
        org: OrgID, request: EvidenceRequestID, author: String, body: String,
        externalCommentID: String
    ) throws -> Comment? {
        try db.query(
            Self.externalStatement(
                org: org, request: request, author: author, body: body, externalCommentID: externalCommentID,
                heldBy: nil)
        ).first.map(Self.decode)
    }

    static func decode(_ row: PGRow) throws -> Comment {
        Comment(
            id: row.int("id"), source: try row.parsed("source", Comment.Source.init(rawValue:)),
            author: row.string("author"), body: row.string("body"),
            externalCommentID: row["external_comment_id"],
            syncState: try row.parsedIfPresent("sync_state", Comment.SyncState.init(rawValue:)),
            lastError: row["last_error"], createdAt: PGTimestamp.apiText(row.string("created_at")))
    }
}
