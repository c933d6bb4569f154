import TicketSyncPlatform

/// Rejected signatures at connections' inbound URLs, counted per connection and minute (`inbound_rejections`): the
/// first of a minute writes one `inbound.rejected` audit row, the others only raise the count, so a flood of bad
/// signatures cannot grow the insert-only audit trail by more than a row a minute per connection.
struct InboundRejectionStore {
    let db: PGConnection

    /// Counts one rejection; returns the minute's count so far (1: this one wrote the audit row).
    @discardableResult
    func record(_ connection: Connection, reason: String) throws -> Int {
        try db.transaction {
            let count =
                try db.query(
                    """
                    INSERT INTO ticket_sync.inbound_rejections AS r (connection_id, minute, last_reason)
                    VALUES ($1, date_trunc('minute', now()), $2)
                    ON CONFLICT (connection_id, minute)
                    DO UPDATE SET rejections = r.rejections + 1, last_reason = excluded.last_reason
                    RETURNING rejections
                    """, [connection.id.rawValue, reason]
                ).first?.int("rejections") ?? 0
            guard count == 1 else { return count }
            var audit = AuditEvent(
                org: connection.orgID, action: "inbound.rejected",
                actor: .connection(connection.id))
            audit.connectionID = connection.id
            // The reason, not the body; the later rejections of this minute are counted, not audited.
            audit.detail = [
                "reason": .string(reason),
                "counted_per_minute": .string("further rejections this minute are counted, not audited"),
            ]
            _ = try db.pipeline([
                audit.statement,
                PGStatement(
                    """
                    DELETE FROM ticket_sync.inbound_rejections
                    WHERE connection_id = $1 AND minute < now() - interval '30 days'
                    """, [connection.id.rawValue]),
            ])
            return count
        }
    }
}
