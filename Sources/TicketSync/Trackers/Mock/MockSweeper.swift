import TicketSyncPlatform

/// The mock's sweep. The mock has no server, so "the tracker" is kept in the service's own database: its echo of
/// each of our delivered comments (derived from the comment, as the mock made it), and what the demo or the tests
/// did "on the tracker" (`ticket_sync.mock_tracker_tickets` / `mock_tracker_comments`, migration 016).
struct MockSweeper: TicketSweeper {
    let db: PGConnection

    func changes(since: Int64, page: String?) throws -> SweepPage {
        let links = try db.query(
            """
            WITH changed AS (
                SELECT external_id FROM ticket_sync.mock_tracker_tickets
                WHERE updated_at >= to_timestamp($1::bigint / 1000.0)
                UNION SELECT external_id FROM ticket_sync.mock_tracker_comments
                WHERE created_at >= to_timestamp($1::bigint / 1000.0)
                UNION SELECT l.external_id FROM ticket_sync.comments c
                JOIN ticket_sync.ticket_links l ON l.org_id = c.org_id AND l.evidence_request_id = c.evidence_request_id
                WHERE c.source = 'internal' AND c.created_at >= to_timestamp($1::bigint / 1000.0)
                  AND c.external_comment_id = l.external_id || '-c' || c.id)
            SELECT \(TicketLinkStore.columns) FROM ticket_sync.ticket_links l
            WHERE l.provider = 'mock' AND l.unlinked_at IS NULL AND l.state = 'linked'
              AND l.external_id IN (SELECT external_id FROM changed)
            ORDER BY l.external_id
            """, [String(since)]
        ).all.map(TicketLinkStore.decode)
        return SweepPage(tickets: try links.map(lookup))
    }

    func lookup(_ link: TicketLink) throws -> SweptTicket {
        let state = try db.query(
            """
            SELECT status, status_category, deleted_at IS NOT NULL AS deleted,
                (extract(epoch FROM status_at) * 1000)::bigint AS status_ms,
                (extract(epoch FROM updated_at) * 1000)::bigint AS updated_ms
            FROM ticket_sync.mock_tracker_tickets WHERE external_id = $1
            """, [link.externalID.rawValue]
        ).first
        if state?.bool("deleted") == true { return .gone(link.externalID) }
        var status: TrackerStatusChange?
        if let state, let name = state["status"], let raw = state["status_category"],
            let milliseconds = state["status_ms"].flatMap({ Int64($0) })
        {
            guard let category = TrackerStatusChange.Category(rawValue: raw) else {
                throw StoredValueError("mock_tracker_tickets.status_category", raw)
            }
            status = TrackerStatusChange(
                name: name, category: category, state: nil, milliseconds: milliseconds, actor: nil)
        }
        let comments = try db.query(
            """
            SELECT external_comment_id, author, body, created_at FROM ticket_sync.mock_tracker_comments
            WHERE external_id = $1
            UNION ALL
            SELECT $1 || '-echo-' || c.id, $1 || ' (ext)', c.body, c.created_at FROM ticket_sync.comments c
            WHERE c.org_id = $2 AND c.evidence_request_id = $3 AND c.source = 'internal'
              AND c.external_comment_id = $1 || '-c' || c.id
            ORDER BY created_at
            """, [link.externalID.rawValue, link.orgID.rawValue, link.evidenceRequestID.rawValue]
        ).all.map { row in
            InboundEvent.ExternalComment(
                externalCommentID: row.string("external_comment_id"), author: row.string("author"),
                body: row.string("body"))
        }
        // Our comments' echoes carry the mock's wording.
        let worded = comments.map { comment -> InboundEvent.ExternalComment in
            guard comment.externalCommentID.hasPrefix("\(link.externalID)-echo-") else { return comment }
            let echo = MockProvider.echo(
                externalID: link.externalID,
                commentID: String(comment.externalCommentID.dropFirst(link.externalID.rawValue.count + 6)),
                text: comment.body)
            return InboundEvent.ExternalComment(
                externalCommentID: echo.externalCommentID, author: echo.author, body: echo.body)
        }
        return SweptTicket(
            externalID: link.externalID, status: status, comments: worded,
            changedAt: state?["updated_ms"].flatMap { Int64($0) })
    }
}
