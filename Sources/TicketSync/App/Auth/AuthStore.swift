import TicketSyncPlatform

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
        SELECT o.id, o.name, m.permission FROM {host}.org_memberships m JOIN {host}.orgs o ON o.id = m.org_id
        WHERE m.user_id = auth.auth_user_id ORDER BY o.name, o.id
        """, order: "d.name, d.id", gate: ReadQuery.anyCaller)

    /// Creates the user when missing and returns its id. An existing user is left as it is: `users` belongs to the
    /// host application, and its display name is not ours to change.
    @discardableResult
    public func ensureUser(email: String, displayName: String?) throws -> String {
        try db.query(
            """
            WITH created AS (
                INSERT INTO {host}.users (id, email, display_name) VALUES (gen_random_uuid(), $1, coalesce($2, ''))
                ON CONFLICT (email) DO NOTHING RETURNING id)
            SELECT id FROM created UNION ALL SELECT id FROM {host}.users WHERE email = $1 LIMIT 1
            """, [email, displayName]
        ).single("user").string("id")
    }

    /// Issues a new token for the user, valid for `lifetime` seconds (nil: until revoked); only its digest is
    /// stored. Returns the token itself.
    public func issueToken(userID: UserID, name: String, lifetime: Int? = nil) throws -> String {
        let token = APIToken.generate()
        try db.query(
            """
            INSERT INTO ticket_sync.api_tokens (user_id, token_sha256, name, expires_at)
            VALUES ($1, decode($2, 'hex'), $3, now() + make_interval(secs => $4::double precision))
            """,
            [userID.rawValue, APIToken.digestHex(token), name, lifetime.map(String.init)])
        return token
    }

    /// Records a use of the token, unless one was recorded within the last minute.
    public func recordUse(tokenID: TokenID) throws {
        try db.query(
            """
            UPDATE ticket_sync.api_tokens SET last_used_at = now()
            WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            """, [tokenID.rawValue])
    }

    /// Revokes every live token of a user that carries `name`.
    public func revokeTokens(userID: UserID, name: String) throws {
        try db.query(
            """
            UPDATE ticket_sync.api_tokens SET revoked_at = now()
            WHERE user_id = $1 AND name = $2 AND revoked_at IS NULL
            """, [userID.rawValue, name])
    }
}
