/// The schema of the host's shared tables (`orgs`, `users`, `org_memberships`, `evidence_requests`),
/// TICKETSYNC_HOST_SCHEMA (default `public`). Statements name those tables `{host}.users`; the connection puts the
/// quoted schema in place of the marker before the text reaches the server, so a table of the same name in a schema
/// earlier on someone's search path (one named after the runtime role, say) is never read instead. Every session also
/// pins `search_path` to this schema and `pg_temp`, for what is still unqualified (operators, the migrations' SQL).
public struct HostSchema: Sendable, Equatable {
    public let name: String

    public static let standard = HostSchema(checked: "public")

    /// The text statements write before a host table's name; not valid SQL, so a statement sent without it being
    /// resolved fails instead of reading whatever the search path finds.
    static let marker = "{host}"

    private init(checked name: String) { self.name = name }

    /// nil unless a usable schema name: 1 to 63 bytes (PostgreSQL's NAMEDATALEN - 1), no control characters.
    public init?(_ name: String) {
        guard (1...63).contains(name.utf8.count),
            !name.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 })
        else { return nil }
        self.name = name
    }

    /// The name as a quoted identifier (`"public"`, inner quotes doubled): never case-folded, never SQL.
    public var quoted: String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// A host table, qualified: `"public".users`.
    public func table(_ name: String) -> String { "\(quoted).\(name)" }

    /// The search path: the host schema, then `pg_temp` last (otherwise searched first for tables); `local`: for
    /// the current transaction only (what a transaction pooler keeps).
    func searchPathSQL(local: Bool = false) -> String {
        "SET \(local ? "LOCAL " : "")search_path = \(quoted), pg_temp"
    }

    /// The statement with every `{host}` replaced by the quoted schema (the text itself when it has none).
    func resolve(_ sql: String) -> String {
        guard sql.contains(Self.marker) else { return sql }
        return sql.replacing(Self.marker, with: quoted)
    }
}
