import Foundation

/// Everything a provider needs to talk to one tracker, secrets opened: built per use from an org's connection,
/// or from the environment for the deployment default. Providers are built from this and nothing else.
public struct TrackerConfig: Sendable {
    /// nil: the deployment default (environment settings, trusted as the operator set them).
    public var connectionID: String?
    /// Changes whenever the connection does: caches (Jira's own account) are keyed by it.
    public var version: String
    public var name: String
    public var kind: ProviderKind
    public var webhookURL: URL?
    /// The generic webhook's secrets, newest first: the first signs outbound events.
    public var webhookSecrets: [String]
    public var jira: JiraSettings
    public var serviceNow: ServiceNowSettings
    /// What is missing before the tracker can be used: environment keys for the default, `settings.x` /
    /// `secrets.y` for a connection.
    public var missing: [String]
    /// Applied to every call of an org connection's provider; nil for the deployment default.
    public var outboundGuard: OutboundGuard?
    /// Where the tracker's status changes lead the evidence request (`status_map`, or TICKET_STATUS_MAP).
    public var statusMap = StatusMap.standard
    /// The org whose connection this is (its trackers share a cap of request threads); nil for the deployment default.
    public var orgID: String? = nil

    /// The secrets that verify this tracker's inbound events: Jira's `X-Hub-Signature` for Jira, `X-Signature` for
    /// the others.
    public var inboundSecrets: [String] { kind == .jira ? jira.webhookSecrets : webhookSecrets }

    /// The deployment default for one kind: the seed's environment settings.
    public static func deployment(_ settings: Settings, kind: ProviderKind) -> TrackerConfig {
        TrackerConfig(
            connectionID: nil, version: "environment", name: "deployment default", kind: kind,
            webhookURL: settings.webhookURL, webhookSecrets: settings.webhookSecrets, jira: settings.jira,
            serviceNow: settings.serviceNow, missing: settings.missingKeys(for: kind), outboundGuard: nil,
            statusMap: settings.statusMap)
    }

    /// An org connection with its secrets opened. Throws `SecretBox.Failure` when a secret does not open.
    public static func connection(_ connection: Connection, keys: SecretKeyRing, guard check: OutboundGuard) throws
        -> TrackerConfig
    {
        func open(_ field: String) throws -> String? {
            guard let state = connection.secrets[field] else { return nil }
            let aad = SecretBox.associatedData(org: connection.orgID, connection: connection.id, field: field)
            return try SecretBox.open(state.sealed, aad: aad, ring: keys)
        }
        let settings = connection.effectiveSettings
        let inbound = [try open("webhook_secret"), try open("webhook_secret_previous")].compactMap { $0 }
        let apiToken = try open("api_token")
        let baseURL = Settings.serviceURL(settings["base_url"])
        return TrackerConfig(
            connectionID: connection.id, version: connection.updatedAt, name: connection.name, kind: connection.kind,
            webhookURL: Settings.httpURL(settings["url"]), webhookSecrets: inbound,
            jira: JiraSettings(
                baseURL: baseURL, apiToken: apiToken, projectKey: settings["project_key"],
                email: settings["email"], issueType: settings["issue_type"] ?? "Task",
                deployment: settings["deployment"].flatMap(JiraDeployment.init), webhookSecrets: inbound),
            serviceNow: ServiceNowSettings(
                baseURL: baseURL, apiToken: apiToken,
                auth: ServiceNowSettings.Auth(rawValue: settings["auth"] ?? "") ?? .apikey,
                table: settings["table"] ?? "incident",
                closeCode: settings["close_code"] ?? "Solution provided",
                closeState: settings["close_state"] ?? "6"),
            missing: connection.missing, outboundGuard: check.owned(by: connection.orgID),
            statusMap: connection.statusMap,
            orgID: connection.orgID)
    }
}
