import TicketSyncPlatform

/// The comment writes as statements, so a use case can send several in one pipeline (one round trip). Those that
/// record a delivery take `heldBy`: they apply only while that claim's outcome stands (the outbox update before
/// them in the pipeline changed nothing when the lease was lost, so neither do they).
extension CommentStore {
    static func internalStatement(
        org: OrgID, request: EvidenceRequestID, authorID: String, author: String, body: String,
        syncState: Comment.SyncState?
    ) -> PGStatement {
        PGStatement(
            """
            INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author_user_id, author, body, sync_state)
            VALUES ($1, $2, 'internal', $3, $4, $5, $6) RETURNING \(columns)
            """, [org.rawValue, request.rawValue, authorID, author, body, syncState?.rawValue])
    }

    static func syncedStatement(org: OrgID, id: Int, externalCommentID: String, heldBy event: OutboxEvent?)
        -> PGStatement
    {
        let held = OutboxStore.held(event, state: "delivered", firstParameter: 5)
        return PGStatement(
            """
            UPDATE ticket_sync.comments c SET sync_state = 'synced', last_error = NULL,
                external_comment_id = CASE WHEN EXISTS (
                    SELECT 1 FROM ticket_sync.comments d
                    WHERE d.evidence_request_id = c.evidence_request_id AND d.external_comment_id = $3 AND d.id <> c.id)
                THEN $4 ELSE $3 END
            WHERE c.org_id = $1 AND c.id = $2 AND \(held.sql) RETURNING \(columns)
            """, [org.rawValue, String(id), externalCommentID, Comment.mintedExternalID(id)] + held.params)
    }

    static func failedStatement(org: OrgID, id: Int, reason: String, heldBy event: OutboxEvent?) -> PGStatement {
        let held = OutboxStore.held(event, state: "failed", firstParameter: 4)
        return PGStatement(
            """
            UPDATE ticket_sync.comments SET sync_state = 'error', last_error = $3
            WHERE org_id = $1 AND id = $2 AND \(held.sql) RETURNING \(columns)
            """, [org.rawValue, String(id), reason] + held.params)
    }

    static func externalStatement(
        org: OrgID, request: EvidenceRequestID, author: String, body: String, externalCommentID: String,
        heldBy event: OutboxEvent?
    ) -> PGStatement {
        externalStatement(
            org: org, request: request, author: author, body: body, externalCommentID: externalCommentID,
            onlyIf: OutboxStore.held(event, state: "delivered", firstParameter: 6))
    }

    /// An external comment, inserted only when `held` (parameters from `$6`) holds.
    static func externalStatement(
        org: OrgID, request: EvidenceRequestID, author: String, body: String, externalCommentID: String,
        onlyIf held: SQLCondition
    ) -> PGStatement {
        PGStatement(
            """
            \(held.with ?? "")
            INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, external_comment_id)
            SELECT $1::uuid, $2::uuid, 'external', $3::text, $4::text, $5::text WHERE \(held.sql)
            ON CONFLICT (evidence_request_id, external_comment_id) DO NOTHING
            RETURNING \(columns)
            """, [org.rawValue, request.rawValue, author, body, externalCommentID] + held.params)
    }
}
