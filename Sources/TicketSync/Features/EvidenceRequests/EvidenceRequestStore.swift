import TicketSyncPlatform

/// Reads and updates evidence requests, always scoped by org.
public struct EvidenceRequestStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    public func find(org: OrgID, id: EvidenceRequestID) throws -> EvidenceRequest? {
        try db.query(
            "SELECT id, org_id, title, description, status FROM {host}.evidence_requests WHERE org_id = $1 AND id = $2",
            [org.rawValue, id.rawValue]
        ).first.map(Self.decode)
    }

    static func decode(_ row: PGRow) throws -> EvidenceRequest {
        EvidenceRequest(
            id: row.id("id"), orgID: row.id("org_id"), title: row.string("title"),
            description: row.string("description"),
            status: try row.parsed("status", EvidenceRequest.Status.init(rawValue:)))
    }
}

extension EvidenceRequestStore {
    /// One page of the path's org's requests ordered by (title, id), each with its active link, read with the
    /// authorization.
    static func pageQuery(after: ListCursor?, limit: Int) -> ReadQuery {
        page.with([after?.title, after?.id, String(limit)])
    }

    private static let page = ReadQuery(
        """
        SELECT r.id AS rq_id, r.org_id AS rq_org_id, r.title AS rq_title, r.description AS rq_description,
               r.status AS rq_status, lk.*
        FROM {host}.evidence_requests r
        LEFT JOIN LATERAL (
            SELECT \(TicketLinkStore.columns) FROM ticket_sync.ticket_links l
            WHERE l.org_id = r.org_id AND l.evidence_request_id = r.id AND l.unlinked_at IS NULL) lk ON true
        WHERE r.org_id = $2::uuid AND ($4::text IS NULL OR (r.title, r.id) > ($4::text, $5::uuid))
        ORDER BY r.title, r.id LIMIT $6
        """, order: "d.rq_title, d.rq_id")

    /// A row of `pageQuery`.
    static func decodePageRow(_ row: PGRow) throws -> (request: EvidenceRequest, link: TicketLink?) {
        let request = EvidenceRequest(
            id: row.id("rq_id"), orgID: row.id("rq_org_id"), title: row.string("rq_title"),
            description: row.string("rq_description"),
            status: try row.parsed("rq_status", EvidenceRequest.Status.init(rawValue:)))
        return (request, row["id"] == nil ? nil : try TicketLinkStore.decode(row))
    }

    /// Applies a PBC status from the tracker (values checked by the caller and by the table's CHECK).
    public func updateStatus(org: OrgID, id: EvidenceRequestID, status: EvidenceRequest.Status) throws {
        try db.query(Self.statusStatement(org: org, id: id, status: status))
    }

    static func statusStatement(org: OrgID, id: EvidenceRequestID, status: EvidenceRequest.Status) -> PGStatement {
        PGStatement(
            "UPDATE {host}.evidence_requests SET status = $3 WHERE org_id = $1 AND id = $2",
            [org.rawValue, id.rawValue, status.rawValue])
    }
}
