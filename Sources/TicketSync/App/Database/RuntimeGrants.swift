import TicketSyncPlatform

/// What the runtime role (`serve`, `deliver`) may do, as GRANT statements for an existing role, read from the catalog
/// so that every table and sequence a migration adds is covered: reads of the host's shared tables, only the `status`
/// column of `evidence_requests` written, and DML on Ticket Sync's own schema, except its migration history (read
/// only) and the audit trail (insert and read only). No DDL, no other schema, no other table of the host's. Run by the owner after each `ticketsync migrate`.
/// The host's tables are the ones in TICKETSYNC_HOST_SCHEMA, printed schema-qualified.
public struct RuntimeGrants {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// The host's tables the service reads (the integration contract).
    static let sharedTables = ["orgs", "users", "org_memberships", "evidence_requests"]

    public enum Failure: Error, Equatable { case noSuchRole(String) }

    public func statements(role: String) throws -> [String] {
        guard
            let quoted = try db.query("SELECT quote_ident(rolname) AS role FROM pg_roles WHERE rolname = $1", [role])
                .first?.string("role")
        else { throw Failure.noSuchRole(role) }
        // Always schema-qualified (regclass's text leaves out a schema on the search path; psql's path may differ).
        let host = db.limits.hostSchema
        let shared = try Self.sharedTables.map { table in
            try db.query(
                """
                SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::regclass
                """, [host.table(table)]
            ).single(table).string("name")
        }
        let tables = try db.query(
            """
            SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'ticket_sync' ORDER BY tablename
            """
        ).all.map { $0.string("name") }
        let sequences = try db.query(
            """
            SELECT quote_ident(sequencename) AS name FROM pg_sequences WHERE schemaname = 'ticket_sync'
            ORDER BY sequencename
            """
        ).all.map { $0.string("name") }
        var statements = [
            "GRANT USAGE ON SCHEMA ticket_sync TO \(quoted);",
            "GRANT USAGE ON SCHEMA \(host.quoted) TO \(quoted);",
            "GRANT SELECT ON \(shared.joined(separator: ", ")) TO \(quoted);",
            "GRANT UPDATE (status) ON \(shared[3]) TO \(quoted);",  // trap-safe: four shared tables, above
        ]
        for table in tables {
            let privileges =
                switch table {
                case "schema_migrations": "SELECT"
                case "audit_events": "SELECT, INSERT"  // insert-only: a recorded action is never changed or erased
                default: "SELECT, INSERT, UPDATE, DELETE"
                }
            statements.append("GRANT \(privileges) ON ticket_sync.\(table) TO \(quoted);")
        }
        for sequence in sequences {
            statements.append("GRANT USAGE, SELECT ON SEQUENCE ticket_sync.\(sequence) TO \(quoted);")
        }
        // The audit retention (migration 019): the owner's function deletes only rows past at least 30 days.
        if try db.query("SELECT to_regprocedure('ticket_sync.prune_audit_events(integer, integer)') IS NOT NULL AS f")
            .single("function").bool("f")
        {
            statements.append(
                "GRANT EXECUTE ON FUNCTION ticket_sync.prune_audit_events(integer, integer) TO \(quoted);")
        }
        return statements
    }
}
