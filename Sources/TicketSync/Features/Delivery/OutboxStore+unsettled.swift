extension OutboxStore {
    /// Whether a comment event of the link may have reached the tracker without its outcome being recorded: one is
    /// being attempted now, or an attempt ended without any answer (a timeout) and it waits for the next. Its echo would
    /// not be recognised by the tracker's comment id yet.
    public func commentPushUnsettled(org: OrgID, linkID: TicketLinkID) throws -> Bool {
        try db.query(
            """
            SELECT 1 FROM ticket_sync.outbox
            WHERE org_id = $1 AND link_id = $2 AND event_type = 'ticket.comment'
              AND state NOT IN ('delivered', 'cancelled')
              AND (state = 'delivering' OR (state = 'pending' AND attempts > 0 AND last_status IS NULL))
            LIMIT 1
            """, [org.rawValue, linkID.rawValue]
        ).first != nil
    }
}
