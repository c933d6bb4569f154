import Foundation
import TicketSyncPlatform

/// The callback's work once its state checked out: the code exchanged, the site chosen among those the grant reaches,
/// the account read, then the connection made (or, for a reconnect, its tokens and site details replaced and
/// `needs_reconnect` cleared, keeping its id and links) in one transaction, and its webhooks registered.
struct JiraOAuthFinish {
    let context: RequestContext
    let db: PGConnection
    let client: JiraOAuthClient
    let started: JiraOAuthStateStore.Started

    enum Result {
        case connected(String)
        /// Several sites and none named: `id|url` of each; the page starts again naming one (`site`).
        case chooseSite([String])
        case failed(String)
    }

    func run(code: String) -> Result {
        do { return try attempt(code: code) } catch let error as APIError {
            return .failed(error.problem.slug)
        } catch {
            return .failed("internal")
        }
    }

    private func attempt(code: String) throws -> Result {
        let tokens: JiraOAuthClient.Tokens
        switch client.exchange(code: code) {
        case .success(let got): tokens = got
        case .failure(.invalidGrant): return .failed("invalid_grant")
        case .failure(.unavailable): return .failed("token_endpoint_unavailable")
        }
        guard case .success(let sites) = client.sites(accessToken: tokens.accessToken) else {
            return .failed("accessible_resources_unavailable")
        }
        let existing = try started.connectionID.flatMap {
            try ConnectionStore(db: db).find(org: started.org, id: $0)
        }
        let wanted = existing?.settings["cloud_id"] ?? started.site
        let site: JiraOAuthClient.Site
        if let wanted {
            guard let chosen = sites.first(where: { $0.cloudID == wanted || $0.url.absoluteString == wanted }) else {
                return .failed(existing == nil ? "site_not_granted" : "reconnect_site_not_granted")
            }
            site = chosen
        } else if sites.count == 1, let only = sites.first {
            site = only
        } else if sites.isEmpty {
            return .failed("no_site_granted")
        } else {
            return .chooseSite(sites.map { "\($0.cloudID)|\($0.url.absoluteString)" })
        }
        guard case .success(let account) = client.myself(accessToken: tokens.accessToken, cloudID: site.cloudID) else {
            return .failed("myself_unavailable")
        }
        var flow: [String: String] = [
            "cloud_id": site.cloudID, "site_url": site.url.absoluteString,
            "scopes": tokens.scope.isEmpty ? site.scopes.joined(separator: " ") : tokens.scope,
            "account_id": account.id, "account_name": String(account.name.prefix(200)),
        ]
        if let key = started.projectKey { flow["project_key"] = key }
        let id: String
        if let existing {
            id = try reconnect(existing, settings: flow, tokens: tokens)
        } else {
            id = try create(settings: flow, site: site, tokens: tokens)
        }
        registerWebhooks(connection: id)
        return .connected(id)
    }

    private func create(settings: [String: String], site: JiraOAuthClient.Site, tokens: JiraOAuthClient.Tokens)
        throws -> String
    {
        let id = UUID().uuidString.lowercased()
        let token = InboundToken.generate()
        let store = ConnectionStore(db: db)
        let sealer = SecretSealer(org: started.org, connection: id, keys: context.providers.keys)
        try db.transaction {
            try store.ensureRoom(org: started.org, limit: context.settings.orgConnectionLimit)
            try store.insert(
                id: id, org: started.org, kind: .jiraCloud,
                name: started.name ?? "Jira Cloud (\(site.name.prefix(150)))",
                settings: settings, isDefault: started.isDefault, createdBy: started.user, inboundToken: token)
            try JiraOAuthTokens.store(tokens, sealer: sealer, db: db)
            try sealer.write(
                field: "inbound_url", value: ConnectionRoutes.inboundURL(context, token: token), to: store)
            try db.query(audit("connection.create", connection: id, detail: ["kind": .string("jira_cloud")]).statement)
        }
        return id
    }

    /// The connection row is locked first, so a refresh of its tokens (which holds the refresh-token row) and a
    /// reconnect take turns; the new grant replaces both tokens.
    private func reconnect(_ connection: Connection, settings: [String: String], tokens: JiraOAuthClient.Tokens)
        throws -> String
    {
        let id = connection.id.rawValue
        let sealer = SecretSealer(org: started.org, connection: id, keys: context.providers.keys)
        try db.transaction {
            guard
                try db.query(
                    """
                    SELECT 1 FROM ticket_sync.connections
                    WHERE org_id = $1 AND id = $2 AND kind = 'jira_cloud' AND deleted_at IS NULL FOR NO KEY UPDATE
                    """, [started.org, id]
                ).first != nil
            else { throw APIError.notFound("No such Jira Cloud connection.") }
            try db.query(
                """
                UPDATE ticket_sync.connections
                SET settings = (settings - 'needs_reconnect') || $3::jsonb, updated_at = clock_timestamp()
                WHERE org_id = $1 AND id = $2
                """, [started.org, id, JSONValue.object(settings.mapValues(JSONValue.string)).text])
            try JiraOAuthTokens.store(tokens, sealer: sealer, db: db)
            try db.query(audit("connection.update", connection: id, detail: ["reconnected": .bool(true)]).statement)
        }
        return id
    }

    private func audit(_ action: String, connection: String, detail: [String: JSONValue]) -> AuditEvent {
        var event = AuditEvent(
            org: OrgID(started.org), action: action,
            actor: AuditActor(kind: "user", userID: UserID(started.user), tokenID: nil, connectionID: nil))
        event.connectionID = ConnectionID(connection)
        event.detail = detail
        return event
    }

    /// Best effort: a connection whose webhooks could not be registered now (no project key yet, Atlassian busy) gets
    /// them at its next sweep.
    private func registerWebhooks(connection id: String) {
        do {
            guard let connection = try ConnectionStore(db: db).find(org: started.org, id: id),
                let provider = try context.providers.provider(context.providers.config(connection))
                    as? JiraCloudProvider
            else { return }
            try provider.maintainWebhooks(db: db)
        } catch {
            ServerLog.warning("connection \(id): its Jira Cloud webhooks are not registered yet: \(error)")
        }
    }
}
