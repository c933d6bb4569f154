import TicketSyncPlatform

/// What the OAuth flow keeps in a `jira_cloud` connection's settings (written by the flow; not among the kind's
/// settings, so never by PATCH):
/// the site (`cloud_id`, `site_url`), the granted `scopes`, the account it acts as (`account_id`, `account_name`),
/// `needs_reconnect` (when Atlassian refused its grant; cleared by a reconnect), and `webhooks_expire_at` (when its
/// webhooks expire unless refreshed; `JiraCloudWebhookStore`).
enum JiraCloudState {
    static let needsReconnect = "needs_reconnect"
    static let flowSettings = [
        "cloud_id", "site_url", "scopes", "account_id", "account_name", needsReconnect, "webhooks_expire_at",
    ]

    /// Marks the connection (in the caller's transaction) and audits it once: its tickets answer 503 naming it until
    /// it is connected again.
    static func markNeedsReconnect(connection: String, org: String, reason: String, db: PGConnection) throws {
        let marked =
            try db.query(
                """
                UPDATE ticket_sync.connections
                SET settings = settings || jsonb_build_object('needs_reconnect', to_char(clock_timestamp() AT TIME ZONE 'UTC',
                    'YYYY-MM-DD"T"HH24:MI:SS"Z"')), updated_at = clock_timestamp()
                WHERE id = $1 AND org_id = $2 AND NOT settings ? 'needs_reconnect'
                """, [connection, org]
            ).affected == 1
        guard marked else { return }
        ServerLog.warning("connection \(connection): Atlassian refused its grant (\(reason)): needs reconnect")
        var event = AuditEvent(
            org: OrgID(org), action: "connection.update", actor: .connection(ConnectionID(connection)))
        event.connectionID = ConnectionID(connection)
        event.detail = ["state": .string("needs_reconnect"), "reason": .string("invalid_grant")]
        try db.query(event.statement)
    }
}
