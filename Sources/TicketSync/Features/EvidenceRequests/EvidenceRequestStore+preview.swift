import TicketSyncPlatform

/// What the field-mapping preview renders for when no request is named: the org's first request, in the order the
/// list shows them, and the org's name for an org without any.
extension EvidenceRequestStore {
    /// The org's first evidence request by (title, id); nil when it has none.
    func first(org: OrgID) throws -> EvidenceRequest? {
        try db.query(
            """
            SELECT id, org_id, title, description, status FROM {host}.evidence_requests WHERE org_id = $1
            ORDER BY title, id LIMIT 1
            """, [org.rawValue]
        ).first.map(Self.decode)
    }

    /// The org's name ("" for an org the host does not list).
    func orgName(_ org: OrgID) throws -> String {
        try db.query("SELECT name FROM {host}.orgs WHERE id = $1", [org.rawValue]).first?.string("name") ?? ""
    }
}
