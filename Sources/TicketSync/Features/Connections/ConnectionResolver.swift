import TicketSyncPlatform

/// Which tracker an action talks to: create uses the org's default connection (or the one named), everything a
/// link does afterwards uses the link's own connection, and orgs without connections use the deployment default.
extension ProviderRegistry {
    /// The tracker a new ticket of `org` is opened in.
    public func configForCreate(org: String, requested: String?, db: PGConnection) throws -> TrackerConfig {
        let store = ConnectionStore(db: db)
        if let requested {
            // Another org's connection is a 404 like a missing one (tenancy), as everywhere.
            guard let connection = try store.find(org: org, id: requested) else {
                throw APIError(
                    404, "not-found", "`connection_id` names no connection of this org.",
                    extensions: ["field": .string("connection_id")])
            }
            guard !connection.disabled else { throw APIError.connectionDisabled(connection.name) }
            return try config(connection)
        }
        let connections = try store.list(org: org)
        if connections.isEmpty {
            guard settings.envFallback else {
                throw APIError.noConnection(
                    org: org,
                    detail:
                        "This org has no tracker connection: add one (POST /api/v1/orgs/\(org)/ticket-sync/connections)."
                )
            }
            return deployment(settings.provider)
        }
        // An org with connections never falls back: its tickets go only to trackers it configured.
        if let chosen = Connection.forCreate(among: connections) { return try config(chosen) }
        throw APIError.noConnection(
            org: org,
            detail: connections.allSatisfy(\.disabled)
                ? "Every tracker connection of this org is disabled: enable one or add one."
                : "This org has several tracker connections and none is the default: mark one as default or name it with connection_id."
        )
    }

    /// The tracker of an existing link (or of an event of that link).
    public func config(connectionID: String?, org: String, kind: String, db: PGConnection) throws -> TrackerConfig {
        guard let connectionID else {
            // A link's stored provider that no tracker claims is corrupt, not the mock's.
            guard let known = ProviderKind(rawValue: kind) else { throw StoredValueError("provider", kind) }
            return deployment(known)
        }
        // A connection that active links use cannot be deleted, so a miss means it was deleted after an unlink.
        guard let connection = try ConnectionStore(db: db).find(org: org, id: connectionID) else {
            throw APIError.connectionDisabled("deleted")
        }
        guard !connection.disabled else { throw APIError.connectionDisabled(connection.name) }
        return try config(connection)
    }

    public func config(for link: TicketLink, db: PGConnection) throws -> TrackerConfig {
        try config(connectionID: link.connectionID?.rawValue, org: link.orgID.rawValue, kind: link.provider, db: db)
    }
}
