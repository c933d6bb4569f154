import TicketSyncPlatform

/// The tokens of a user, for `ticketsync token list` and `token revoke`.
extension AuthStore {
    public struct TokenSummary: Sendable {
        public let id: String
        public let name: String
        public let createdAt: String
        public let expiresAt: String?
        public let lastUsedAt: String?
        public let revokedAt: String?
        /// `active`, `expired` or `revoked`.
        public let state: String
    }

    /// Every token of the user with that email, newest first (none for an unknown email).
    public func tokens(email: String) throws -> [TokenSummary] {
        try db.query(
            """
            SELECT t.id, t.name, \(SQLFragments.timestamp("t.created_at")) AS created_at,
                   \(SQLFragments.timestamp("t.expires_at")) AS expires_at,
                   \(SQLFragments.timestamp("t.last_used_at")) AS last_used_at,
                   \(SQLFragments.timestamp("t.revoked_at")) AS revoked_at,
                   CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked'
                        WHEN t.expires_at IS NOT NULL AND t.expires_at <= now() THEN 'expired'
                        ELSE 'active' END AS state
            FROM ticket_sync.api_tokens t JOIN {host}.users u ON u.id = t.user_id
            WHERE u.email = $1 ORDER BY t.created_at DESC, t.id
            """, [email]
        ).all.map {
            TokenSummary(
                id: $0.string("id"), name: $0.string("name"), createdAt: $0.string("created_at"),
                expiresAt: $0["expires_at"], lastUsedAt: $0["last_used_at"], revokedAt: $0["revoked_at"],
                state: $0.string("state"))
        }
    }

    /// Revokes one token by id: false when there is no such live token (unknown, or already revoked).
    public func revoke(tokenID: TokenID) throws -> Bool {
        try db.query(
            "UPDATE ticket_sync.api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
            [tokenID.rawValue]
        ).affected == 1
    }
}
