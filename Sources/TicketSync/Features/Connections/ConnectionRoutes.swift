import Foundation
import TicketSyncPlatform

/// `/api/v1/orgs/{org_id}/ticket-sync/connections`: an org's tracker connections. Read permission to view,
/// configure to change. Secrets are write-only: answers say whether each is set and when, never its value.
enum ConnectionRoutes {
    static func list(_ context: RequestContext) throws -> HTTPResponse {
        let connections = try context.rows.map(ConnectionStore.decode)
        return .json(
            200,
            .object([
                "connections": .array(connections.map { $0.json() }),
                // The page offers "Connect Jira Cloud" only when the deployment has an OAuth app.
                "jira_cloud_oauth": .object(["configured": .bool(context.settings.jiraOAuth.missing.isEmpty)]),
            ]))
    }

    /// The org's connections, read with the authorization (the list, and the readiness checklist).
    static func listQuery(_ context: RequestContext) -> ReadQuery { ConnectionStore.listQuery }

    static func read(_ context: RequestContext) throws -> HTTPResponse {
        guard let connection = try context.rows.first.map(ConnectionStore.decode) else {
            throw APIError.notFound("No such connection.")
        }
        return .json(200, connection.json())
    }

    /// The path's connection, read with the authorization; a path id that is no UUID is a 404 like a missing one.
    static func readQuery(_ context: RequestContext) throws -> ReadQuery {
        ConnectionStore.findQuery(id: try context.uuidParameter("connection_id"))
    }

    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let input = try ConnectionInput.decode(
            context.jsonObjectBody(), existingKind: nil,
            urls: urlCheck(context), dueDate: { try EvidenceRequestStore(db: context.database()).hasDueDate() })
        guard let kind = input.kind, let name = input.name else {
            throw APIError.invalidField("kind", "`kind` is required.")
        }
        let db = try context.database()
        let store = ConnectionStore(db: db)
        let id = UUID().uuidString.lowercased()
        let token = InboundToken.generate()
        let sealer = try SecretSealer(
            org: context.orgID, connection: id, keys: context.providers.keys, needed: input.secrets)
        try mappingDefaultRace {
            try db.transaction {
                try store.ensureRoom(org: context.orgID, limit: context.settings.orgConnectionLimit)
                try store.insert(
                    id: id, org: context.orgID, kind: kind, name: name,
                    settings: input.settings.compactMapValues { $0 }, isDefault: input.isDefault ?? false,
                    createdBy: context.principal?.userID.rawValue, inboundToken: token)
                if input.disabled == true {
                    _ = try store.update(
                        org: context.orgID, id: id, name: nil, settings: nil, isDefault: nil, disabled: true)
                }
                try sealer.write(input.secrets, to: store)
                var detail = changes(input)
                detail["kind"] = .string(kind.rawValue)
                try db.query(audit(context, "connection.create", connection: id, detail: detail).statement)
            }
        }
        guard let created = try store.find(org: context.orgID, id: id) else { throw APIError.notFound() }
        return .json(201, created.json(inboundURL: inboundURL(context, token: token)))
    }

    static func update(_ context: RequestContext) throws -> HTTPResponse {
        let connection = try load(context)
        let input = try ConnectionInput.decode(
            context.jsonObjectBody(), existingKind: connection.kind,
            urls: urlCheck(context), dueDate: { try EvidenceRequestStore(db: context.database()).hasDueDate() })
        let db = try context.database()
        let store = ConnectionStore(db: db)
        var settings = connection.settings
        for (name, value) in input.settings { settings[name] = value }
        let sealer = try SecretSealer(
            org: context.orgID, connection: connection.id.rawValue, keys: context.providers.keys,
            needed: input.secrets)
        if input.disabled == true, !connection.disabled {
            connection.kind.tracker.closing(context, connection: connection)
        }
        try mappingDefaultRace {
            try db.transaction {
                guard
                    try store.update(
                        org: context.orgID, id: connection.id.rawValue, name: input.name,
                        settings: input.settings.isEmpty ? nil : settings, isDefault: input.isDefault,
                        disabled: input.disabled)
                else { throw APIError.notFound("No such connection.") }
                try sealer.write(input.secrets, to: store)
                let action = input.disabled == true && !connection.disabled ? "connection.disable" : "connection.update"
                try db.query(
                    audit(context, action, connection: connection.id.rawValue, detail: changes(input)).statement)
                // A connection fixed after a failed sweep (a new token, URL or project) is swept at once.
                try db.query(
                    SweepStore.sweepNowIfFailedStatement(
                        connectionID: connection.id.rawValue, kind: connection.kind.rawValue))
            }
        }
        return .json(200, try load(context).json())
    }

    static func delete(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.uuidParameter("connection_id")
        if let connection = try ConnectionStore(db: context.database()).find(org: context.orgID, id: id) {
            connection.kind.tracker.closing(context, connection: connection)
        }
        let audit = audit(context, "connection.delete", connection: id)
        switch try ConnectionStore(db: context.database()).delete(org: context.orgID, id: id, audit: audit) {
        case .deleted: return .noContent()
        case .notFound: throw APIError.notFound("No such connection.")
        case .inUse(let count):
            throw APIError.conflict(
                "connection-in-use",
                "\(count) linked ticket(s) use this connection; unlink them first, or disable the connection instead (PATCH {\"disabled\": true})."
            )
        }
    }

    /// A new inbound secret, shown once; the previous one keeps verifying for 24 hours (rotate it in the tracker
    /// within that time).
    static func rotateInboundSecret(_ context: RequestContext) throws -> HTTPResponse {
        let connection = try load(context)
        try context.requireNoBody()
        let keys = context.providers.keys
        guard keys.current != nil else { throw APIError.secretKeysMissing }
        let db = try context.database()
        let store = ConnectionStore(db: db)
        let fresh = Hex.encode(Crypto.randomBytes(32))
        let sealer = SecretSealer(org: context.orgID, connection: connection.id.rawValue, keys: keys)
        let validUntil = try db.transaction { () throws -> String? in
            // Rotations of one connection take turns (the row lock), and each reads the secret it replaces only once
            // it holds the lock: the one before it stays valid for the grace period, so two concurrent rotations
            // both hand out a secret that verifies.
            guard
                try db.query(
                    """
                    SELECT 1 FROM ticket_sync.connections WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
                    FOR NO KEY UPDATE
                    """, [context.orgID, connection.id.rawValue]
                ).first != nil, let locked = try store.find(org: context.orgID, id: connection.id.rawValue)
            else { throw APIError.notFound("No such connection.") }
            let previous = try locked.secrets["webhook_secret"].map { state in
                try sealer.open(state.sealed, field: "webhook_secret")
            }
            let validUntil = previous.map { _ in Timestamp.string(Date().addingTimeInterval(previousSecretGrace)) }
            if let previous, let validUntil {
                try sealer.write(field: "webhook_secret_previous", value: previous, validUntil: validUntil, to: store)
            } else {
                try store.deleteSecret(connection: connection.id.rawValue, field: "webhook_secret_previous")
            }
            try sealer.write(field: "webhook_secret", value: fresh, to: store)
            try store.touch(org: context.orgID, id: connection.id.rawValue)
            try db.query(
                audit(
                    context, "connection.rotate_secret", connection: connection.id.rawValue,
                    detail: ["field": .string("webhook_secret"), "previous_kept": .bool(previous != nil)]
                ).statement)
            return validUntil
        }
        // Read back, so the time is the database's own format (the same as every other timestamp).
        let stored = try store.find(org: context.orgID, id: connection.id.rawValue)?.secrets["webhook_secret_previous"]?
            .validUntil
        return .json(
            200,
            .object([
                "webhook_secret": .string(fresh),
                "previous_valid_until": .optional(validUntil == nil ? nil : stored),
            ]))
    }

    static let previousSecretGrace: TimeInterval = 24 * 3600

    /// The path's connection in the path's org; another org's is a 404 like a missing one.
    static func load(_ context: RequestContext) throws -> Connection {
        let id = try context.uuidParameter("connection_id")
        guard let connection = try ConnectionStore(db: context.database()).find(org: context.orgID, id: id) else {
            throw APIError.notFound("No such connection.")
        }
        return connection
    }

    /// The org's URLs checked by the guard, a host name's lookup holding one of the org's tracker slots.
    static func urlCheck(_ context: RequestContext) -> SavedURLCheck {
        SavedURLCheck(org: context.orgID, guard: context.providers.outboundGuard, bulkhead: context.providers.bulkhead)
    }

    /// PUBLIC_BASE_URL when set, else the scheme and host the request came in on.
    static func inboundURL(_ context: RequestContext, token: String) -> String {
        let base = context.settings.publicBaseURL ?? context.request.origin
        return "\(base)/api/v1/ticket-sync/hooks/\(token)"
    }

    /// Two requests making different connections the default at once: the database keeps one, the other gets 409.
    private static func mappingDefaultRace(_ body: () throws -> Void) throws {
        do { try body() } catch let error as PGError where error.constraint == "connections_one_default_per_org" {
            throw APIError.conflict(
                "default-conflict", "Another connection became the org's default at the same time; try again.")
        }
    }
}

extension APIError {
    public static let secretKeysMissing = APIError(
        503, "secret-keys-not-configured",
        "Connection secrets cannot be stored: the operator has not configured TICKET_SECRET_KEYS_FILE (or TICKET_SECRET_KEYS)."
    )
}
