import TicketSyncPlatform

/// What a connection's inbound URL needs before its signature is checked: its inbound secrets and nothing else
/// (an API token that does not open must not stop the tracker's webhooks), its signature policy and status map.
extension Connection {
    /// `settings.inbound_signature` (webhook connections); `any` for the other kinds.
    var inboundSignature: InboundSignaturePolicy {
        effectiveSettings[InboundSignaturePolicy.setting].flatMap(InboundSignaturePolicy.init(rawValue:)) ?? .any
    }

    /// `settings.status_map`, the default when unset. It is validated when written, so a stored one that does not
    /// parse is a corrupt row: a `StoredValueError`, never the default in its place.
    var statusMap: StatusMap {
        get throws {
            guard let text = effectiveSettings["status_map"] else { return .standard }
            guard let map = try? StatusMap.parse(text) else { throw StoredValueError("settings.status_map", text) }
            return map
        }
    }

    /// The secrets that verify inbound events, newest first: the current one and, during its grace period, the one
    /// before the last rotation. Only these two are opened.
    func inboundSecrets(keys: SecretKeyRing) throws -> [String] {
        let sealer = SecretSealer(org: orgID.rawValue, connection: id.rawValue, keys: keys)
        return try ["webhook_secret", "webhook_secret_previous"].compactMap { field in
            try secrets[field].map { try sealer.open($0.sealed, field: field) }
        }
    }
}

extension Connection {
    /// `settings.fields`, checked when written: a stored one that does not parse is a StoredValueError.
    public var fieldMapping: FieldMapping {
        get throws { try FieldMapping.stored(settings[ConnectionSpec.fields], field: "settings.fields") }
    }

    /// `settings.assignee` (none unless set).
    public var assignee: AssigneeRule {
        get throws {
            let text = effectiveSettings[ConnectionSpec.assignee] ?? "none"
            guard let rule = AssigneeRule(text) else { throw StoredValueError("settings.assignee", text) }
            return rule
        }
    }
}
