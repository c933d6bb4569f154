import Foundation
import TicketSyncPlatform

/// Everything a provider needs to talk to one tracker, secrets opened: built per use from an org's connection,
/// or from the environment for the deployment default. Settings and secrets are named as the tracker's
/// `ConnectionSpec` names them; each tracker reads its own (`JiraSettings(config)`), so this carries no tracker's
/// fields of its own.
public struct TrackerConfig: Sendable {
    /// nil: the deployment default (environment settings, trusted as the operator set them).
    public var connectionID: String?
    /// Changes whenever the connection does: caches (Jira's own account) are keyed by it.
    public var version: String
    public var name: String
    public var kind: ProviderKind
    /// The tracker's settings, its defaults filled in.
    public var settings: [String: String]
    /// The tracker's secrets, opened (the inbound ones are `inboundSecrets`).
    public var secrets: [String: String]
    /// The secrets that verify this tracker's inbound events, newest first (the generic webhook signs with the
    /// first).
    public var inboundSecrets: [String]
    /// What is missing before the tracker can be used: environment keys for the default, `settings.x` /
    /// `secrets.y` for a connection.
    public var missing: [String]
    /// Applied to every call of an org connection's provider; nil for the deployment default.
    public var outboundGuard: OutboundGuard?
    /// Where the tracker's status changes lead the evidence request (`status_map`, or TICKET_STATUS_MAP).
    public var statusMap = StatusMap.standard
    /// The org whose connection this is (its trackers share a cap of request threads); nil for the deployment default.
    public var orgID: String? = nil
    /// `settings.fields` (TICKET_FIELDS): what new tickets carry besides the fields Ticket Sync owns.
    public var fields = FieldMapping.empty
    /// `settings.assignee` (TICKET_ASSIGNEE): who new tickets are assigned to.
    public var assignee = AssigneeRule.none

    /// The secret fields that verify inbound events (the current one and, during a rotation's grace, the previous).
    static let inboundSecretFields = ["webhook_secret", "webhook_secret_previous"]

    /// The deployment default for one kind: the seed's environment settings.
    public static func deployment(_ settings: Settings, kind: ProviderKind) -> TrackerConfig {
        let values = settings.trackerEnvironment[kind.rawValue] ?? [:]
        let secretNames = Set(kind.tracker.connectionSpec.secrets)
        return TrackerConfig(
            connectionID: nil, version: "environment", name: "deployment default", kind: kind,
            settings: values.filter { !secretNames.contains($0.key) },
            secrets: values.filter { secretNames.contains($0.key) && !inboundSecretFields.contains($0.key) },
            inboundSecrets: Settings.secrets(values["webhook_secret"]), missing: settings.missingKeys(for: kind),
            outboundGuard: nil, statusMap: settings.statusMap, fields: settings.fieldMapping,
            assignee: settings.assignee)
    }

    /// An org connection with its secrets opened. Throws `SecretBox.Failure` when a secret does not open.
    public static func connection(_ connection: Connection, keys: SecretKeyRing, guard check: OutboundGuard) throws
        -> TrackerConfig
    {
        func open(_ field: String) throws -> String? {
            guard let state = connection.secrets[field] else { return nil }
            let aad = SecretBox.associatedData(
                org: connection.orgID.rawValue, connection: connection.id.rawValue, field: field)
            return try SecretBox.open(state.sealed, aad: aad, ring: keys)
        }
        var secrets: [String: String] = [:]
        for field in connection.spec.secrets where !inboundSecretFields.contains(field) {
            secrets[field] = try open(field)
        }
        return TrackerConfig(
            connectionID: connection.id.rawValue, version: connection.updatedAt, name: connection.name,
            kind: connection.kind,
            settings: connection.effectiveSettings, secrets: secrets,
            inboundSecrets: try inboundSecretFields.compactMap { try open($0) }, missing: connection.missing,
            outboundGuard: check.owned(by: connection.orgID.rawValue), statusMap: try connection.statusMap,
            orgID: connection.orgID.rawValue, fields: try connection.fieldMapping, assignee: try connection.assignee)
    }

    /// An http(s) base URL setting with trailing slashes removed; nil when unset or unusable.
    public func serviceURL(_ setting: String) -> URL? { Settings.serviceURL(settings[setting]) }
}

extension Settings {
    /// Each tracker's deployment-default values read from the environment (settings and secrets by the names of its
    /// `ConnectionSpec`, defaults filled in), with a warning for each value that was unusable and left out.
    static func readTrackerEnvironment(_ value: (String) -> String?, warnings: inout [String]) -> [String: [String:
        String]]
    {
        var all: [String: [String: String]] = [:]
        for tracker in Trackers.all {
            var values = tracker.connectionSpec.defaults
            for (name, key) in tracker.environment.keys.sorted(by: { $0.key < $1.key }) {
                guard let raw = value(key) else { continue }
                switch name {
                // An unusable URL is left out: it counts as missing (there is nowhere to send to); with a default
                // (Linear's API) the default stays, and the start-up log says so.
                case "base_url", "url":
                    let url = name == "url" ? httpURL(raw)?.absoluteString : serviceURL(raw)?.absoluteString
                    if let url {
                        values[name] = url
                    } else if let fallback = tracker.connectionSpec.defaults[name] {
                        warnings.append("\(key) '\(raw)' is not an http(s) URL: using \(fallback)")
                    } else {
                        values[name] = nil
                    }
                // Only the settings a tracker names are checked when read from the environment (the others are taken
                // as the operator set them, as they always were); secrets never are, so none is ever logged.
                case _ where !tracker.environment.checked.contains(name):
                    values[name] = raw
                default:
                    do {
                        values[name] = try tracker.validate(setting: name, raw, field: key) ?? raw
                    } catch let error as APIError {
                        let fallback = tracker.connectionSpec.defaults[name].map { "using \($0)" } ?? "left unset"
                        warnings.append("\(key) '\(raw)' is not usable (\(error.problem.detail)): \(fallback)")
                    } catch {
                        warnings.append("\(key) '\(raw)' is not usable: left unset")
                    }
                }
            }
            all[tracker.kindName] = values
        }
        return all
    }
}
