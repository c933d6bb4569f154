/// Reads and updates evidence requests, always scoped by org.
public struct EvidenceRequestStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    public func find(org: String, id: String) throws -> EvidenceRequest? {
        try db.query(
            "SELECT id, org_id, title, description, status FROM evidence_requests WHERE org_id = $1 AND id = $2",
            [org, id]
        ).first.map(Self.decode)
    }

    static func decode(_ row: PGRow) -> EvidenceRequest {
        EvidenceRequest(
            id: row.string("id"), orgID: row.string("org_id"), title: row.string("title"),
            description: row.string("description"), status: row.string("status"))
    }
}

extension EvidenceRequestStore {
    /// One page of an org's requests ordered by (title, id), each with its active link.
    func page(org: String, after: ListCursor?, limit: Int) throws -> [(request: EvidenceRequest, link: TicketLink?)] {
        let requests = try db.query(
            """
            SELECT id, org_id, title, description, status FROM evidence_requests
            WHERE org_id = $1 AND ($2::text IS NULL OR (title, id) > ($2::text, $3::uuid))
            ORDER BY title, id LIMIT $4
            """, [org, after?.title, after?.id, String(limit)]
        ).all.map(Self.decode)
        let links = try TicketLinkStore(db: db).active(org: org, requests: requests.map(\.id))
        return requests.map { ($0, links[$0.id]) }
    }

    /// Applies a PBC status from the tracker (values checked by the caller and by the table's CHECK).
    public func updateStatus(org: String, id: String, status: String) throws {
        try db.query("UPDATE evidence_requests SET status = $3 WHERE org_id = $1 AND id = $2", [org, id, status])
    }
}
