import TicketSyncPlatform

/// The audit rows of the connection routes: who changed which connection, and what, by name only.
extension ConnectionRoutes {
    /// An audit row about a connection, by the caller.
    static func audit(
        _ context: RequestContext, _ action: String, connection: String, detail: [String: JSONValue] = [:]
    ) -> AuditEvent {
        var event = AuditEvent(
            org: context.org, action: action, actor: context.principal.map(AuditActor.user) ?? .system)
        event.connectionID = ConnectionID(connection)
        event.detail = detail
        return event
    }

    /// What a create or update changed, by name only: never a value (settings may be URLs, secrets are secret).
    static func changes(_ input: ConnectionInput) -> [String: JSONValue] {
        var detail: [String: JSONValue] = [
            "settings": .array(input.settings.keys.sorted().map(JSONValue.string)),
            "secrets": .array(input.secrets.keys.sorted().map(JSONValue.string)),
        ]
        if let name = input.name { detail["name"] = .string(name) }
        if let isDefault = input.isDefault { detail["default"] = .bool(isDefault) }
        if let disabled = input.disabled { detail["disabled"] = .bool(disabled) }
        return detail
    }
}
