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
        EvidenceRequest(id: row.string("id"), orgID: row.string("org_id"), title: row.string("title"),
                        description: row.string("description"), status: row.string("status"))
    }
}

extension EvidenceRequestStore {
    /// Applies a PBC status from the tracker (values checked by the caller and by the table's CHECK).
    public func updateStatus(org: String, id: String, status: String) throws {
        try db.query("UPDATE evidence_requests SET status = $3 WHERE org_id = $1 AND id = $2", [org, id, status])
    }
}
