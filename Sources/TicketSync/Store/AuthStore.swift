/// Tokens, users and memberships.
public struct AuthStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// Resolves a token and, in the same round trip, the caller's permission in `org` and — only for a member —
    /// the evidence request `request` of that org, so that request routes need one statement less.
    public func principal(token: String, org: String?, request: String? = nil) throws -> Principal? {
        try db.query(Self.principalSQL, [APIToken.digestHex(token), org, request]).first.map(Self.principal(from:))
    }

    /// The orgs of the token's user, with the permission held in each, by name; read with the authentication.
    static let membershipsQuery = ReadQuery(
        """
        SELECT o.id, o.name, m.permission FROM org_memberships m JOIN orgs o ON o.id = m.org_id
        WHERE m.user_id = auth.auth_user_id ORDER BY o.name, o.id
        """, order: "d.name, d.id", gate: ReadQuery.anyCaller)

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
