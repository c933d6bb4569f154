import TicketSyncPlatform

/// One org's connection to its tracker, as stored: settings in the clear, secrets sealed (never decoded here).
public struct Connection: Sendable {
    public struct SecretState: Sendable, Equatable {
        public var sealed: String
        public var updatedAt: String
        /// Only for `webhook_secret_previous`: until when the secret before a rotation still verifies.
        public var validUntil: String?
    }

    public var id: ConnectionID
    public var orgID: OrgID
    public var kind: ProviderKind
    public var name: String
    public var settings: [String: String]
    /// Field → sealed value (live ones only: an expired previous secret is not loaded).
    public var secrets: [String: SecretState]
    public var isDefault: Bool
    public var disabled: Bool
    public var createdBy: String?
    public var createdAt: String
    public var updatedAt: String
    public var lastTest: JSONValue?
    /// Its last sweep (`SweepState`), as the API shows it; nil before the first one.
    public var lastSweep: JSONValue? = nil

    public var spec: ConnectionSpec { ConnectionSpec.of(kind) }

    /// The connection a create uses when none is named: the enabled default, or the only enabled connection.
    public static func forCreate(among connections: [Connection]) -> Connection? {
        let enabled = connections.filter { !$0.disabled }
        return enabled.first(where: \.isDefault) ?? (enabled.count == 1 ? enabled.first : nil)
    }

    /// Settings with the kind's defaults filled in.
    public var effectiveSettings: [String: String] { spec.defaults.merging(settings) { _, set in set } }

    /// (A poll-only connection needs no webhook secret for inbound events; only the generic webhook requires one,
    /// because it also signs the events sent to the adapter and verifies the adapter's answers.)
    public var missing: [String] { spec.missing(settings: effectiveSettings, secrets: Set(secrets.keys)) }

    /// `settings.inbound_mode` is `poll`: swept every TICKET_SYNC_POLL_INTERVAL, its inbound URL closed.
    public var pollOnly: Bool {
        effectiveSettings[ConnectionSpec.inboundMode] == ConnectionSpec.InboundMode.poll.rawValue
    }

    /// Its inbound URL accepts events only with a secret to verify them.
    public var inboundOpen: Bool { secrets["webhook_secret"] != nil && !disabled && !pollOnly }

    /// `needs_reconnect` when the tracker refused the connection's grant (Jira Cloud's OAuth: an admin must connect
    /// it again), else `ok`.
    public var state: String { settings["needs_reconnect"] != nil ? "needs_reconnect" : "ok" }

    /// What readiness shows: `open`, `closed`, or `poll` (a poll-only connection has no inbound URL at all).
    public var inboundState: String { pollOnly ? "poll" : inboundOpen ? "open" : "closed" }

    /// Settings as the API shows them: strings, but `fields` as the object it was saved as.
    var settingsJSON: [String: JSONValue] {
        var out = effectiveSettings.mapValues(JSONValue.string)
        if settings[ConnectionSpec.fields] != nil, let mapping = try? fieldMapping {
            out[ConnectionSpec.fields] = .object(mapping.fields)
        }
        return out
    }

    /// The API's view: settings as stored with defaults, secrets only as set/unset with their dates.
    public func json(inboundURL: String? = nil) -> JSONValue {
        var secretsJSON: [String: JSONValue] = [:]
        for name in spec.secrets {
            if let state = secrets[name] {
                secretsJSON[name] = .object(["set": .bool(true), "updated_at": .string(state.updatedAt)])
            } else {
                secretsJSON[name] = .object(["set": .bool(false)])
            }
        }
        if let previous = secrets["webhook_secret_previous"], let until = previous.validUntil {
            secretsJSON["webhook_secret"] = secretsJSON["webhook_secret"].map { current in
                guard case .object(var members) = current else { return current }
                members["previous_valid_until"] = .string(until)
                return .object(members)
            }
        }
        return .object([
            "id": id.json,
            "kind": .string(kind.rawValue),
            "name": .string(name),
            "default": .bool(isDefault),
            "disabled": .bool(disabled),
            "settings": .object(settingsJSON),
            "secrets": .object(secretsJSON),
            "configured": .bool(missing.isEmpty),
            "missing": .array(missing.map(JSONValue.string)),
            "state": .string(state),
            "inbound": .string(inboundState),
            "inbound_url": .optional(pollOnly ? nil : inboundURL),
            "last_test": lastTest ?? .null,
            "last_sweep": lastSweep ?? .null,
            "created_by": .optional(createdBy),
            "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
        ])
    }
}
