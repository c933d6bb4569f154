import Foundation
import TicketSyncPlatform

/// Builds providers from tracker configurations: the deployment default's from the environment, an org
/// connection's from its row. Providers are cheap values built per use; only Jira's own account (per connection
/// and version) and Jira's deployment type (per connection and base URL) are cached, each for at most
/// `jiraCacheCapacity` connections.
public final class ProviderRegistry: @unchecked Sendable {
    let settings: Settings
    let http: any OutboundHTTP
    /// Opens connection secrets.
    public let keys: SecretKeyRing
    /// Every call an org connection's provider makes passes it.
    public let outboundGuard: OutboundGuard
    /// Request threads waiting on one tracker, and on one org's trackers, capped (the delivery loop's own thread is
    /// not counted).
    public let bulkhead: TrackerBulkhead
    /// Where tracker calls and delivery outcomes are counted.
    public let metrics: Metrics?
    /// Connections whose Jira answers a process remembers; the least recently used are forgotten first.
    static let jiraCacheCapacity = 1000
    let jiraIdentities = TrackerCache<JiraIdentityCache>(capacity: jiraCacheCapacity)
    let jiraDeployments = TrackerCache<JiraDeploymentCache>(capacity: jiraCacheCapacity)
    let assigneeBooks = TrackerCache<AssigneeBook>(capacity: jiraCacheCapacity)

    public init(
        settings: Settings, http: any OutboundHTTP = CurlHTTP(), keys: SecretKeyRing = .empty, metrics: Metrics? = nil
    ) {
        self.settings = settings
        self.http = http
        self.metrics = metrics
        self.keys = keys
        self.outboundGuard = OutboundGuard(
            allowedNetworks: settings.allowedTrackerNetworks, lookupSeconds: settings.httpTimeouts.connect)
        self.bulkhead = TrackerBulkhead(limit: settings.trackerConcurrency, orgLimit: settings.trackerOrgConcurrency)
    }

    /// The deployment-default providers this process can deliver events through: configured ones.
    public var deliverable: [String] {
        ProviderKind.allCases.filter { settings.missingKeys(for: $0).isEmpty }.map(\.rawValue)
    }

    /// The deployment default for a kind (TICKET_PROVIDER for new tickets; a link's own kind afterwards).
    public func deployment(_ kind: ProviderKind) -> TrackerConfig { .deployment(settings, kind: kind) }

    /// An org connection's configuration, secrets opened; 503 when a secret cannot be opened.
    public func config(_ connection: Connection) throws -> TrackerConfig {
        do {
            return try TrackerConfig.connection(connection, keys: keys, guard: outboundGuard)
        } catch let failure as SecretBox.Failure {
            ServerLog.error("connection \(connection.id): a secret does not open: \(failure)")
            throw APIError.secretUnavailable(connection: connection.name)
        }
    }

    /// The provider for a configuration; 503 provider-not-configured naming what is missing.
    public func provider(_ config: TrackerConfig) throws -> any TicketProvider {
        guard config.missing.isEmpty else { throw APIError.providerNotConfigured(config) }
        let guarded = config.outboundGuard.map { GuardedHTTP(http, check: $0) as any OutboundHTTP } ?? http
        let client = metrics.map { TimedHTTP(guarded, provider: config.kind.rawValue, metrics: $0) } ?? guarded
        return try config.kind.tracker.makeProvider(
            config, ProviderContext(http: client, settings: settings, registry: self))
    }

    /// The deployment default's provider of a kind.
    public func provider(_ kind: ProviderKind) throws -> any TicketProvider { try provider(deployment(kind)) }

    /// The key of a tracker in the caches: its connection, or the deployment default's own.
    private static func tracker(_ config: TrackerConfig) -> String { config.connectionID ?? "environment" }

    /// One per connection and base URL: another org's connection to the same site asks for itself (its answer must
    /// not decide ours), and a new base URL asks again.
    func jiraDeployment(_ config: TrackerConfig, baseURL: URL) -> JiraDeploymentCache {
        jiraDeployments.value(tracker: Self.tracker(config), version: baseURL.absoluteString) { JiraDeploymentCache() }
    }

    /// The tracker accounts this connection (version) found by e-mail.
    func assignees(_ config: TrackerConfig) -> AssigneeBook {
        assigneeBooks.value(tracker: Self.tracker(config), version: config.version) { AssigneeBook() }
    }

    func jiraIdentity(_ config: TrackerConfig) -> JiraIdentityCache {
        jiraIdentities.value(tracker: Self.tracker(config), version: config.version) {
            JiraIdentityCache(bulkhead: bulkhead, slot: TrackerBulkhead.key(config))
        }
    }
}

extension APIError {
    /// ProviderNotConfigured: 503 naming what to set (environment keys for the deployment default, fields for a
    /// connection).
    public static func providerNotConfigured(_ config: TrackerConfig) -> APIError {
        let missing = config.missing.joined(separator: " and ")
        guard let id = config.connectionID else {
            return APIError(
                503, "provider-not-configured",
                "The \(config.kind.rawValue) provider is not configured: set \(missing).",
                title: "Ticket provider not configured",
                extensions: [
                    "provider": .string(config.kind.rawValue),
                    "missing_keys": .array(config.missing.map(JSONValue.string)),
                ])
        }
        return APIError(
            503, "provider-not-configured",
            "The connection '\(config.name)' (\(config.kind.rawValue)) is not configured: set \(missing).",
            title: "Ticket provider not configured",
            extensions: [
                "provider": .string(config.kind.rawValue), "connection_id": .string(id),
                "missing_fields": .array(config.missing.map(JSONValue.string)),
            ])
    }

    /// An org with no connection of its own, where the deployment default is off (or it has no usable one).
    public static func noConnection(org: String, detail: String) -> APIError {
        APIError(
            503, "provider-not-configured", detail, title: "Ticket provider not configured",
            extensions: ["configure": .string("/api/v1/orgs/\(org)/ticket-sync/connections")])
    }

    public static func connectionDisabled(_ name: String) -> APIError {
        APIError(
            503, "connection-disabled",
            "The connection '\(name)' is disabled; enable it (PATCH \"disabled\": false) to sync this ticket.",
            title: "Ticket provider not configured")
    }

    public static func secretUnavailable(connection name: String) -> APIError {
        APIError(
            503, "secret-unavailable",
            "A secret of the connection '\(name)' cannot be opened with the configured keys; the operator must restore the key."
        )
    }
}
