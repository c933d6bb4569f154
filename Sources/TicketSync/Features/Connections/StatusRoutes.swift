import TicketSyncPlatform

/// Readiness of Ticket Sync for an org's setup checklist: where its tickets go (its own connections, or the
/// deployment default), and whether that is usable. Environment variable names appear only for the default.
enum StatusRoutes {
    static func status(_ context: RequestContext) throws -> HTTPResponse {
        let connections = try context.rows.map(ConnectionStore.decode)
        let listed = JSONValue.array(connections.map(summary))
        guard connections.isEmpty else {
            let chosen = Connection.forCreate(among: connections)
            return .json(
                200,
                .object([
                    "source": .string("connections"),
                    "provider": .optional(chosen?.kind.rawValue),
                    "default_connection_id": .optional(chosen?.id),
                    "configured": .bool(chosen?.missing.isEmpty ?? false),
                    "missing": .array((chosen?.missing ?? ["a default connection"]).map(JSONValue.string)),
                    "inbound": .string(chosen?.inboundState ?? "closed"),
                    "inbound_events": .array((chosen?.kind.inboundEvents ?? []).map(JSONValue.string)),
                    "connections": listed,
                ]))
        }
        guard context.settings.envFallback else {
            return .json(
                200,
                .object([
                    "source": .string("none"), "provider": .null, "configured": .bool(false),
                    "missing": .array([.string("a connection")]), "inbound": .string("closed"), "connections": listed,
                ]))
        }
        var body = deploymentDefault(context.settings)
        body["source"] = .string("deployment_default")
        body["connections"] = listed
        return .json(200, .object(body))
    }

    /// One connection for the checklist: no settings, no secrets, only what is ready and what is missing.
    static func summary(_ connection: Connection) -> JSONValue {
        .object([
            "id": connection.id.json, "kind": .string(connection.kind.rawValue), "name": .string(connection.name),
            "default": .bool(connection.isDefault), "disabled": .bool(connection.disabled),
            "configured": .bool(connection.missing.isEmpty),
            "missing": .array(connection.missing.map(JSONValue.string)),
            "state": .string(connection.state),
            "inbound": .string(connection.inboundState), "last_test": connection.lastTest ?? .null,
            // Whether its tracker can be swept, and how the last sweep went.
            "last_sweep": connection.lastSweep ?? .null,
            "inbound_events": .array(connection.kind.inboundEvents.map(JSONValue.string)),
            "status_map": .string(connection.effectiveSettings["status_map"] ?? StatusMap.standard.text),
            "fields": fieldsReadiness(connection),
        ])
    }

    /// The required-field preflight as of the last connection test, against the mapping as it is now: null when no
    /// test has read the tracker's required fields (or it cannot publish them).
    static func fieldsReadiness(_ connection: Connection) -> JSONValue {
        guard let required = FieldPreflight.stored(connection.lastTest),
            let mapping = try? connection.fieldMapping, let assignee = try? connection.assignee
        else { return .null }
        let missing = FieldPreflight.missing(
            required, mapping: mapping, owned: connection.kind.tracker.ownedFields, assignee: assignee)
        return .object([
            "checked_at": connection.lastTest?["tested_at"] ?? .null, "ok": .bool(missing.isEmpty),
            "missing": .array(missing.map(\.json)),
        ])
    }

    /// The deployment default (the seed's environment settings): the active provider, then every provider.
    static func deploymentDefault(_ settings: Settings) -> [String: JSONValue] {
        let missing = settings.missingKeys(for: settings.provider)
        var providers: [String: JSONValue] = [:]
        for kind in ProviderKind.allCases {
            let keys = settings.missingKeys(for: kind)
            providers[kind.rawValue] = .object([
                "configured": .bool(keys.isEmpty),
                "missing_keys": .array(keys.map(JSONValue.string)),
                // A tracker whose webhooks come back only on a connection's URL has no deployment-level route: closed.
                "inbound": kind.inboundSource.map { inbound($0, settings) } ?? .string("closed"),
                "inbound_events": .array(kind.inboundEvents.map(JSONValue.string)),
            ])
        }
        return [
            "provider": .string(settings.provider.rawValue),
            "configured": .bool(missing.isEmpty),
            "missing_keys": .array(missing.map(JSONValue.string)),
            "inbound": inbound(.generic, settings),
            "inbound_events": .array(settings.provider.inboundEvents.map(JSONValue.string)),
            "status_map": .string(settings.statusMap.text),
            "providers": .object(providers),
        ]
    }

    static func inbound(_ source: InboundSource, _ settings: Settings) -> JSONValue {
        .string(source.secrets(settings).isEmpty ? "closed" : "open")
    }
}
