import Foundation
import TicketSyncPlatform

/// The connections table and its sealed secrets, always scoped by org, except the lookups the delivery loop (by
/// id, for an event it claimed) and the inbound hook (by token digest) make, which the caller has authorized.
public struct ConnectionStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    static let columns = """
        c.id, c.org_id, c.kind, c.name, c.settings::text AS settings, c.is_default, c.disabled, c.created_by,
        \(SQLFragments.timestamp("c.created_at")) AS created_at, \(SQLFragments.timestamp("c.updated_at")) AS updated_at,
        c.last_test::text AS last_test,
        (SELECT coalesce(json_object_agg(s.field, json_build_object(
                    'sealed', s.sealed, 'updated_at', \(SQLFragments.timestamp("s.updated_at")),
                    'valid_until', \(SQLFragments.timestamp("s.valid_until")))), '{}')::text
         FROM ticket_sync.connection_secrets s
         WHERE s.connection_id = c.id AND (s.valid_until IS NULL OR s.valid_until > now())) AS secrets,
        \(SweepState.lastSweep("c.id")) AS last_sweep
        """

    /// The path's org's connections, read with the authorization.
    static let listQuery = ReadQuery(
        """
        SELECT \(columns) FROM ticket_sync.connections c
        WHERE c.org_id = $2::uuid AND c.deleted_at IS NULL ORDER BY c.created_at, c.id
        """, order: "d.created_at, d.id")

    /// The path's connection (`$4`) in the path's org, read with the authorization.
    static func findQuery(id: String) -> ReadQuery { found.with([id]) }

    private static let found = ReadQuery(
        """
        SELECT \(columns) FROM ticket_sync.connections c
        WHERE c.org_id = $2::uuid AND c.id = $4::uuid AND c.deleted_at IS NULL
        """)

    public func list(org: String) throws -> [Connection] {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.connections c
            WHERE c.org_id = $1 AND c.deleted_at IS NULL ORDER BY c.created_at, c.id
            """, [org]
        ).all.map(Self.decode)
    }

    public func find(org: String, id: String) throws -> Connection? {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.connections c
            WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL
            """, [org, id]
        ).first.map(Self.decode)
    }

    /// Any org's connection by id: for the delivery loop, which serves the events it claimed.
    public func find(id: String) throws -> Connection? {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.connections c WHERE c.id = $1 AND c.deleted_at IS NULL
            """, [id]
        ).first.map(Self.decode)
    }

    /// The connection an inbound URL's token names; nil for an unknown, deleted or disabled one.
    public func find(inboundToken token: String) throws -> Connection? {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.connections c
            WHERE c.inbound_token_sha256 = decode($1, 'hex') AND c.deleted_at IS NULL AND NOT c.disabled
            """, [Hex.encode(Crypto.sha256(Array(token.utf8)))]
        ).first.map(Self.decode)
    }

    /// Inserts the row; a default replaces the org's previous default in the same transaction (the caller's).
    public func insert(
        id: String, org: String, kind: ProviderKind, name: String, settings: [String: String],
        isDefault: Bool, createdBy: String?, inboundToken: String
    ) throws {
        if isDefault { try clearDefault(org: org, except: id) }
        try db.query(
            """
            INSERT INTO ticket_sync.connections (id, org_id, kind, name, settings, is_default, created_by, inbound_token_sha256)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, decode($8, 'hex'))
            """,
            [
                id, org, kind.rawValue, name, JSONValue.object(settings.mapValues(JSONValue.string)).text,
                isDefault ? "true" : "false", createdBy, Hex.encode(Crypto.sha256(Array(inboundToken.utf8))),
            ])
    }

    /// Throws 422 `connection-limit` when the org already has `limit` live (not deleted) connections. Run it in the
    /// creating transaction: it takes the org's transaction lock first, so concurrent creates are counted one after
    /// the other (each count is a statement of its own, seeing what the previous holder committed).
    public func ensureRoom(org: String, limit: Int) throws {
        try db.query(
            "SELECT pg_advisory_xact_lock(hashtextextended('ticket_sync.connections:' || $1::text, 0))", [org])
        let live = try db.query(
            "SELECT count(*) AS live FROM ticket_sync.connections WHERE org_id = $1 AND deleted_at IS NULL", [org]
        ).single("live connections").int("live")
        guard live < limit else { throw APIError.connectionLimit(limit) }
    }

    public func clearDefault(org: String, except id: String) throws {
        try db.query(
            """
            UPDATE ticket_sync.connections SET is_default = false, updated_at = clock_timestamp()
            WHERE org_id = $1 AND id <> $2 AND is_default
            """, [org, id])
    }

    /// Writes the changed columns; nil leaves a column as it is. False when the connection is gone.
    public func update(
        org: String, id: String, name: String?, settings: [String: String]?, isDefault: Bool?,
        disabled: Bool?
    ) throws -> Bool {
        if isDefault == true { try clearDefault(org: org, except: id) }
        return try db.query(
            """
            UPDATE ticket_sync.connections SET
                name = coalesce($3, name), settings = coalesce($4::jsonb, settings),
                is_default = coalesce($5::boolean, is_default), disabled = coalesce($6::boolean, disabled),
                updated_at = clock_timestamp()
            WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
            """,
            [
                org, id, name, settings.map { JSONValue.object($0.mapValues(JSONValue.string)).text },
                isDefault.map { $0 ? "true" : "false" }, disabled.map { $0 ? "true" : "false" },
            ]
        ).affected == 1
    }

    /// Stores (or replaces) one sealed secret.
    public func setSecret(
        connection id: String, field: String, sealed: String, keyID: String,
        validUntil: String? = nil
    ) throws {
        try db.query(
            """
            INSERT INTO ticket_sync.connection_secrets (connection_id, field, sealed, key_id, valid_until)
            VALUES ($1, $2, $3, $4, $5::timestamptz)
            ON CONFLICT (connection_id, field) DO UPDATE
            SET sealed = excluded.sealed, key_id = excluded.key_id, valid_until = excluded.valid_until,
                updated_at = clock_timestamp()
            """, [id, field, sealed, keyID, validUntil])
    }

    public func deleteSecret(connection id: String, field: String) throws {
        try db.query("DELETE FROM ticket_sync.connection_secrets WHERE connection_id = $1 AND field = $2", [id, field])
    }

    public func touch(org: String, id: String) throws {
        try db.query(
            "UPDATE ticket_sync.connections SET updated_at = clock_timestamp() WHERE org_id = $1 AND id = $2",
            [org, id])
    }

    public enum Deletion {
        case deleted, notFound
        case inUse(Int)
    }

    /// Deletes a connection no active link uses: the row stays for the history of its unlinked links, its secrets
    /// are destroyed and it answers nothing any more. The row is locked first, so a create racing it waits.
    /// `audit` is written in the same transaction when the connection is deleted.
    public func delete(org: String, id: String, audit: AuditEvent? = nil) throws -> Deletion {
        try db.transaction { () throws -> Deletion in
            guard
                try db.query(
                    """
                    SELECT 1 FROM ticket_sync.connections WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE
                    """, [org, id]
                ).first != nil
            else { return .notFound }
            let active =
                try db.query(
                    """
                    SELECT count(*) AS n FROM ticket_sync.ticket_links WHERE connection_id = $1 AND unlinked_at IS NULL
                    """, [id]
                ).first?.int("n") ?? 0
            guard active == 0 else { return .inUse(active) }
            try db.query("DELETE FROM ticket_sync.connection_secrets WHERE connection_id = $1", [id])
            try db.query(
                """
                UPDATE ticket_sync.connections SET deleted_at = clock_timestamp(), updated_at = clock_timestamp(),
                    is_default = false, disabled = true
                WHERE id = $1
                """, [id])
            if let audit { try db.query(audit.statement) }
            return .deleted
        }
    }

    public func recordTest(org: String, id: String, result: JSONValue) throws {
        try db.query(
            "UPDATE ticket_sync.connections SET last_test = $3::jsonb WHERE org_id = $1 AND id = $2",
            [org, id, result.text])
    }

    /// The key ids stored secrets are sealed with (the start-up check).
    public func sealingKeyIDs() throws -> [String] {
        let present = try db.query("SELECT to_regclass('ticket_sync.connection_secrets') IS NOT NULL AS present")
        guard present.first?.bool("present") == true else { return [] }
        return try db.query("SELECT DISTINCT key_id FROM ticket_sync.connection_secrets ORDER BY key_id").all.map {
            $0.string("key_id")
        }
    }

    /// A batch of secrets not sealed with `keyID`, locked for re-sealing (the caller's transaction).
    public func lockSecretsToReseal(notKey keyID: String, limit: Int, after cursor: (String, String)?) throws
        -> [(connection: String, org: String, field: String, sealed: String)]
    {
        try db.query(
            """
            SELECT s.connection_id, c.org_id, s.field, s.sealed FROM ticket_sync.connection_secrets s
            JOIN ticket_sync.connections c ON c.id = s.connection_id
            WHERE s.key_id <> $1 AND ($3::uuid IS NULL OR (s.connection_id, s.field) > ($3::uuid, $4::text))
            ORDER BY s.connection_id, s.field LIMIT $2 FOR UPDATE OF s SKIP LOCKED
            """, [keyID, String(limit), cursor?.0, cursor?.1]
        ).all.map {
            ($0.string("connection_id"), $0.string("org_id"), $0.string("field"), $0.string("sealed"))
        }
    }

    public func reseal(connection id: String, field: String, sealed: String, keyID: String) throws {
        try db.query(
            """
            UPDATE ticket_sync.connection_secrets SET sealed = $3, key_id = $4 WHERE connection_id = $1 AND field = $2
            """, [id, field, sealed, keyID])
    }

    static func decode(_ row: PGRow) throws -> Connection {
        var settings: [String: String] = [:]
        if case .object(let members)? = try row.json("settings") {
            for (key, value) in members { if let text = value.stringValue { settings[key] = text } }
        }
        var secrets: [String: Connection.SecretState] = [:]
        if case .object(let members)? = try row.json("secrets") {
            for (field, value) in members {
                guard let sealed = value["sealed"]?.stringValue else { continue }
                secrets[field] = Connection.SecretState(
                    sealed: sealed, updatedAt: value["updated_at"]?.stringValue ?? "",
                    validUntil: value["valid_until"]?.stringValue)
            }
        }
        return Connection(
            id: row.id("id"), orgID: row.id("org_id"),
            kind: try row.parsed("kind", ProviderKind.init(rawValue:)),
            name: row.string("name"), settings: settings, secrets: secrets, isDefault: row.bool("is_default"),
            disabled: row.bool("disabled"), createdBy: row["created_by"], createdAt: row.string("created_at"),
            updatedAt: row.string("updated_at"),
            lastTest: try row.json("last_test"), lastSweep: try row.json("last_sweep"))
    }
}

extension APIError {
    /// An org may have at most TICKET_ORG_CONNECTION_LIMIT live connections.
    public static func connectionLimit(_ limit: Int) -> APIError {
        APIError(
            422, "connection-limit",
            "This org already has \(limit) connections, the most it may have (TICKET_ORG_CONNECTION_LIMIT); delete one first.",
            extensions: ["limit": .int(limit)])
    }
}
