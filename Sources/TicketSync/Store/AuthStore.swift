/// Tokens, users and memberships.
public struct AuthStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// Resolves a token and, in the same round trip, the caller's permission in `org` and — only for a member —
    /// the evidence request `request` of that org, so that request routes need one statement less.
    public func principal(token: String, org: String?, request: String? = nil) throws -> Principal? {
        guard
            let row = try db.query(
                """
                SELECT u.id, u.display_name, u.email, m.permission,
                       r.id AS request_id, r.org_id AS request_org_id, r.title, r.description, r.status
                FROM ticket_sync.api_tokens t
                JOIN users u ON u.id = t.user_id
                LEFT JOIN org_memberships m ON m.user_id = u.id AND m.org_id = $2::uuid
                LEFT JOIN evidence_requests r ON m.permission IS NOT NULL AND r.org_id = $2::uuid AND r.id = $3::uuid
                WHERE t.token_sha256 = decode($1, 'hex') AND t.revoked_at IS NULL
                """, [APIToken.digestHex(token), org, request]
            ).first
        else { return nil }
        let name = row.string("display_name")
        var principal = Principal(
            userID: row.string("id"), displayName: name.isEmpty ? row.string("email") : name,
            email: row.string("email"),
            permission: row["permission"].flatMap(OrgPermission.init(rawValue:)))
        if row["request_id"] != nil {
            principal.evidenceRequest = EvidenceRequest(
                id: row.string("request_id"), orgID: row.string("request_org_id"), title: row.string("title"),
                description: row.string("description"), status: row.string("status"))
        }
        return principal
    }

    /// The orgs a user belongs to, with the permission held in each, by name.
    public func memberships(userID: String) throws -> [(id: String, name: String, permission: String)] {
        try db.query(
            """
            SELECT o.id, o.name, m.permission FROM org_memberships m JOIN orgs o ON o.id = m.org_id
            WHERE m.user_id = $1 ORDER BY o.name, o.id
            """, [userID]
        ).all.map { ($0.string("id"), $0.string("name"), $0.string("permission")) }
    }

    /// Creates the user when missing and returns its id.
    @discardableResult
    public func ensureUser(email: String, displayName: String?) throws -> String {
        try db.query(
            """
            INSERT INTO users (id, email, display_name) VALUES (gen_random_uuid(), $1, coalesce($2, ''))
            ON CONFLICT (email) DO UPDATE SET display_name = coalesce($2, users.display_name)
            RETURNING id
            """, [email, displayName]
        ).single("user").string("id")
    }

    /// Issues a new token for the user; only its digest is stored. Returns the token itself.
    public func issueToken(userID: String, name: String) throws -> String {
        let token = APIToken.generate()
        try db.query(
            "INSERT INTO ticket_sync.api_tokens (user_id, token_sha256, name) VALUES ($1, decode($2, 'hex'), $3)",
            [userID, APIToken.digestHex(token), name])
        return token
    }

    /// Revokes every live token of a user that carries `name`.
    public func revokeTokens(userID: String, name: String) throws {
        try db.query(
            """
            UPDATE ticket_sync.api_tokens SET revoked_at = now()
            WHERE user_id = $1 AND name = $2 AND revoked_at IS NULL
            """, [userID, name])
    }
}
