import TicketSyncPlatform

/// The host table's optional `due_date date` column (the contract allows it; the migrations never add it) and what a
/// new ticket's placeholders read besides the request.
extension EvidenceRequestStore {
    /// Whether evidence_requests has the column: only then can a mapping use `{{request.due_date}}`.
    public func hasDueDate() throws -> Bool {
        try db.query(
            """
            SELECT EXISTS (
                SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('{host}.evidence_requests') AND attname = 'due_date' AND NOT attisdropped
            ) AS present
            """
        ).single("due_date column").bool("present")
    }

    /// The request's org name and due date (YYYY-MM-DD), read through to_jsonb so a table without the column reads
    /// null rather than failing.
    public func ticketFacts(org: OrgID, id: EvidenceRequestID) throws -> (orgName: String, dueDate: String?) {
        guard
            let row = try db.query(
                """
                SELECT o.name AS org_name, to_jsonb(r) ->> 'due_date' AS due_date
                FROM {host}.evidence_requests r JOIN {host}.orgs o ON o.id = r.org_id
                WHERE r.org_id = $1 AND r.id = $2
                """, [org.rawValue, id.rawValue]
            ).first
        else { return ("", nil) }
        return (row.string("org_name"), row["due_date"].map { String($0.prefix(10)) })
    }
}
