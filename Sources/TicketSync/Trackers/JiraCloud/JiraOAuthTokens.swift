import Foundation
import TicketSyncPlatform

/// A `jira_cloud` connection's tokens, sealed like every secret (`connection_secrets`): `access_token`, stored valid
/// until `refreshMargin` before Atlassian's expiry (so an expired one is not even loaded), and `refresh_token`.
///
/// Refresh tokens rotate, and one presented again outside Atlassian's 10-minute leeway revokes them all. So a refresh
/// runs in a transaction of its own (on a database connection of its own: the caller's transaction may roll back,
/// the new pair must not), holding the connection's `refresh_token` row (`FOR UPDATE`) across processes and hosts:
/// it reads the stored tokens again under that lock (another process may have refreshed meanwhile, and then its
/// access token is used, nothing sent), sends the refresh token, and stores the new pair before it commits.
struct JiraOAuthTokens {
    /// Refreshed this long before Atlassian's expiry.
    static let refreshMargin: TimeInterval = 300

    let config: TrackerConfig
    let context: ProviderContext

    /// The access token to call with: the loaded one while valid, else one refreshed under the connection's lock.
    /// `replacing`: a token Atlassian just refused (it expired or was revoked early): any other stored one is taken,
    /// else a refresh is made even though the stored expiry had not come.
    func accessToken(replacing stale: String? = nil) throws -> String {
        if stale == nil, let token = config.secrets["access_token"] { return token }
        guard let connection = config.connectionID, let org = config.orgID else {
            throw APIError.providerNotConfigured(config)
        }
        let settings = context.settings
        let db: PGConnection
        do { db = try PGConnection(conninfo: settings.databaseURL, limits: settings.databaseLimits) } catch {
            throw APIError.databaseUnavailable()
        }
        let sealer = SecretSealer(org: org, connection: connection, keys: context.registry.keys)
        let client = JiraOAuthClient(
            settings: settings.jiraOAuth, http: context.registry.http, timeouts: settings.httpTimeouts)
        let outcome: Outcome
        do {
            outcome = try db.transaction { () throws -> Outcome in
                // The lock is held across one call to Atlassian: wait for it longer than that call may take.
                let wait = settings.httpTimeouts.totalSeconds * 2 + 5
                try db.query("SET LOCAL lock_timeout = '\(wait)s'")
                try db.query("SET LOCAL statement_timeout = '\(wait + 5)s'")
                try db.query("SET LOCAL idle_in_transaction_session_timeout = '\(wait + 5)s'")
                guard
                    let refresh = try db.query(
                        """
                        SELECT sealed FROM ticket_sync.connection_secrets
                        WHERE connection_id = $1 AND field = 'refresh_token' FOR UPDATE
                        """, [connection]
                    ).first?.string("sealed")
                else { return .needsReconnect("no refresh token is stored") }
                if let fresh = try db.query(
                    """
                    SELECT sealed FROM ticket_sync.connection_secrets
                    WHERE connection_id = $1 AND field = 'access_token' AND valid_until > now()
                    """, [connection]
                ).first?.string("sealed") {
                    let opened = try sealer.open(fresh, field: "access_token")
                    if opened != stale { return .token(opened) }
                }
                switch client.refresh(try sealer.open(refresh, field: "refresh_token")) {
                case .success(let tokens):
                    try Self.store(tokens, sealer: sealer, db: db)
                    return .token(tokens.accessToken)
                case .failure(.invalidGrant(let reason)):
                    try JiraCloudState.markNeedsReconnect(
                        connection: connection, org: org, reason: reason, db: db)
                    return .needsReconnect(reason)
                case .failure(.unavailable(let reason)):
                    return .unavailable(reason)
                }
            }
        } catch let error as PGError where error.sqlstate == .lockNotAvailable {
            throw APIError.oauthRefreshBusy
        }
        switch outcome {
        case .token(let token): return token
        case .needsReconnect: throw APIError.needsReconnect(config.name, connection: connection)
        case .unavailable(let reason):
            ServerLog.warning("connection \(connection): the Jira Cloud token refresh failed: \(reason)")
            throw APIError.oauthRefreshUnavailable
        }
    }

    private enum Outcome {
        case token(String)
        case needsReconnect(String)
        case unavailable(String)
    }

    /// Seals and stores a new pair (the caller's transaction).
    static func store(_ tokens: JiraOAuthClient.Tokens, sealer: SecretSealer, db: PGConnection) throws {
        let store = ConnectionStore(db: db)
        let until = Timestamp.string(
            Date().addingTimeInterval(max(30, TimeInterval(tokens.expiresIn) - refreshMargin)))
        try sealer.write(field: "access_token", value: tokens.accessToken, validUntil: until, to: store)
        try sealer.write(field: "refresh_token", value: tokens.refreshToken, to: store)
    }
}

extension APIError {
    /// The connection's grant was refused (revoked, expired, or a refresh token reused): an admin must reconnect.
    static func needsReconnect(_ name: String, connection: String) -> APIError {
        APIError(
            503, "connection-needs-reconnect",
            "The connection '\(name)' (jira_cloud) must be connected again: Atlassian no longer accepts its grant. "
                + "Reconnect it: POST /api/v1/orgs/{org_id}/ticket-sync/connections/oauth/jira with its connection_id.",
            title: "Ticket provider not configured",
            extensions: ["connection_id": .string(connection), "state": .string("needs_reconnect")])
    }

    static let oauthRefreshBusy = APIError(
        503, "provider-busy", "Another process is refreshing this connection's Jira Cloud token; try again shortly.",
        title: "Ticket provider busy", headers: [("Retry-After", "5")])

    static let oauthRefreshUnavailable = APIError(
        503, "provider-unavailable", "Atlassian did not refresh this connection's token; try again later.",
        title: "Ticket provider unavailable", headers: [("Retry-After", "30")])
}
