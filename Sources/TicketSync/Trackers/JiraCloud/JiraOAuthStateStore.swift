import TicketSyncPlatform

/// The `state` of each authorization started (`ticket_sync.jira_oauth_states`): single-use, bound to the org and the
/// user, valid 10 minutes, stored only as its SHA-256.
struct JiraOAuthStateStore {
    let db: PGConnection

    static let lifetimeMinutes = 10

    struct Started {
        var org: String
        var user: String
        var connectionID: String?
        var name: String?
        var isDefault: Bool
        var projectKey: String?
        var site: String?
    }

    /// Stores a new state; when it expires, as the database writes times.
    func start(state: String, _ started: Started) throws -> String {
        // Expired states are of no use to anyone: cleared as new ones are made.
        try db.query("DELETE FROM ticket_sync.jira_oauth_states WHERE expires_at < now() - interval '1 day'")
        return try db.query(
            """
            INSERT INTO ticket_sync.jira_oauth_states
                (state_sha256, org_id, user_id, connection_id, name, is_default, project_key, site, expires_at)
            VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6, $7, $8,
                    clock_timestamp() + make_interval(mins => \(Self.lifetimeMinutes)))
            RETURNING \(SQLFragments.timestamp("expires_at")) AS expires_at
            """,
            [
                Self.digest(state), started.org, started.user, started.connectionID, started.name,
                started.isDefault ? "true" : "false", started.projectKey, started.site,
            ]
        ).single("oauth state").string("expires_at")
    }

    /// Uses the state up: what it was started with, or nil when it is unknown, used or expired, or when the user who
    /// started it no longer configures the org.
    func use(state: String) throws -> Started? {
        guard
            let row = try db.query(
                """
                UPDATE ticket_sync.jira_oauth_states s SET used_at = clock_timestamp()
                WHERE s.state_sha256 = decode($1, 'hex') AND s.used_at IS NULL AND s.expires_at > clock_timestamp()
                  AND EXISTS (SELECT 1 FROM {host}.org_memberships m
                              WHERE m.org_id = s.org_id AND m.user_id = s.user_id AND m.permission = 'configure')
                RETURNING s.org_id, s.user_id, s.connection_id, s.name, s.is_default, s.project_key, s.site
                """, [Self.digest(state)]
            ).first
        else { return nil }
        return Started(
            org: row.string("org_id"), user: row.string("user_id"), connectionID: row["connection_id"],
            name: row["name"], isDefault: row.bool("is_default"), projectKey: row["project_key"], site: row["site"])
    }

    static func digest(_ state: String) -> String { Hex.encode(Crypto.sha256(Array(state.utf8))) }
}
