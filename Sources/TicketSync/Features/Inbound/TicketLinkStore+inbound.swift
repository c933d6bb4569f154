import TicketSyncPlatform

/// The link an inbound generic event names, read together with its evidence request's status when the event asks
/// for a status: one round trip, which also opens the transaction the writes then commit in.
extension TicketLinkStore {
    /// `active(externalID:scope:)` and the request's current status, its row locked in a transaction begun here
    /// (BEGIN travels with the read). The caller commits or rolls back; with no link, it is rolled back here.
    func activeLockingStatus(externalID: ExternalTicketID, scope: InboundScope) throws -> (
        link: TicketLink, status: EvidenceRequest.Status
    )? {
        let found: PGRow?
        do {
            found = try db.pipeline([
                PGStatement("BEGIN"),
                PGStatement(
                    """
                    SELECT \(Self.columns), e.status AS request_status FROM ticket_sync.ticket_links l
                    JOIN {host}.evidence_requests e ON e.org_id = l.org_id AND e.id = l.evidence_request_id
                    WHERE l.external_id = $1 AND \(scope.condition("l.connection_id", parameter: 2))
                      AND l.unlinked_at IS NULL
                    FOR NO KEY UPDATE OF e
                    """, [externalID.rawValue] + scope.parameters),
            ]).at(1).first
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw error
        }
        guard let found else {
            _ = try db.execute("ROLLBACK")
            return nil
        }
        return (try Self.decode(found), try found.parsed("request_status", EvidenceRequest.Status.init(rawValue:)))
    }
}
