import Foundation
import TicketSyncPlatform

/// Everything the service reads from its environment, read once at start-up.
public struct Settings: Sendable {
    public var databaseURL: String
    public var maxBodyBytes: Int
    /// The provider named by TICKET_PROVIDER (an unknown value has already fallen back to mock).
    public var provider: ProviderKind
    /// The raw TICKET_PROVIDER value when it was not recognised, for the start-up warning.
    public var unknownProviderValue: String?
    /// Settings that were unusable and replaced by a default, for the start-up log.
    public var warnings: [String] = []
    /// TICKET_WEBHOOK_SECRET split on commas: inbound accepts any, outbound signs with the first.
    public var webhookSecrets: [String]
    public var publicBaseURL: String?
    /// Each tracker's deployment-default settings and secrets from the environment, by kind, named as its
    /// `ConnectionSpec` names them (defaults filled in; unusable values left out).
    public var trackerEnvironment: [String: [String: String]]
    public var delivery: DeliveryPolicy
    /// Connect and total timeouts for every outbound call (TICKET_HTTP_CONNECT_TIMEOUT_S, TICKET_HTTP_TIMEOUT_S).
    public var httpTimeouts: HTTPTimeouts
    /// The short first attempt made while the API request waits (TICKET_DELIVERY_INLINE_TIMEOUT_S).
    public var inlineTimeouts: HTTPTimeouts
    /// How often an idle delivery loop looks for due events.
    public var deliveryPollMilliseconds: Int
    /// Delivered outbox events are kept this many days (TICKET_OUTBOX_RETENTION_DAYS), then pruned by the loop.
    public var outboxRetentionDays: Int
    /// What the retention pass keeps (outbox as above, TICKET_AUDIT_RETENTION_DAYS) and how often it runs
    /// (TICKET_RETENTION_INTERVAL).
    public var retention = RetentionPolicy()
    /// TICKET_ALLOWED_TRACKER_NETWORKS: networks org connections may reach although they are private or loopback
    /// (on-premise trackers; the tests' fakes). Inside them plain http is accepted too.
    public var allowedTrackerNetworks: [CIDR] = []
    /// TICKET_ENV_FALLBACK (default on): orgs without a connection of their own use the deployment default.
    /// Hosted deployments set it off, so no org's tickets reach a tracker it did not configure.
    public var envFallback = true
    /// The deployment default's map from tracker status to evidence-request status (TICKET_STATUS_MAP).
    public var statusMap = StatusMap.standard
    /// The deployment default's field mapping (TICKET_FIELDS, JSON) and assignee rule (TICKET_ASSIGNEE).
    public var fieldMapping = FieldMapping.empty
    public var assignee = AssigneeRule.none
    /// TICKET_WEBHOOK_INBOUND_SIGNATURE: `any` (default) or `standard` (Standard Webhooks only) on the generic route.
    public var inboundSignature = InboundSignaturePolicy.any
    /// TICKETSYNC_LOG_FORMAT: `text` (default) or `json` (one object per line).
    public var logFormat = ServerLog.Format.text
    /// Settings that are unusable and must not be guessed at: start-up refuses, naming them.
    public var errors: [String] = []
    /// TICKET_TRACKER_CONCURRENCY: request threads that may wait on one tracker at once (per connection).
    public var trackerConcurrency = 2
    /// TICKET_TRACKER_ORG_CONCURRENCY: request threads of a process that may wait on one org's trackers at once,
    /// across all its connections (half the default 8 threads).
    public var trackerOrgConcurrency = 4
    /// TICKET_ORG_CONNECTION_LIMIT: live (not deleted) connections one org may have.
    public var orgConnectionLimit = 20
    /// TICKET_DELIVERY_CONNECTION_CONCURRENCY: events of one connection (or deployment-default provider) the
    /// delivery loops of all processes attempt at once.
    public var deliveryConnectionConcurrency = 2
    /// TICKET_DELIVERY_ORG_CONCURRENCY: events of one org's connections, all together, the delivery loops of all
    /// processes attempt at once (so an org with many hanging connections cannot hold every loop).
    public var deliveryOrgConcurrency = 4
    /// TICKET_DELIVERY_LOOPS: delivery loops (threads, each with its database connection) per process that runs
    /// them. More loops than one org's cap keep other orgs' events moving while that org's trackers hang.
    public var deliveryLoops = 4
    /// Connect timeout, keepalives and the session timeouts of every database connection.
    public var databaseLimits = PGSessionLimits()
    /// JIRA_CLOUD_SEARCH_LAG_S: how long after a create attempt Jira Cloud's search may still miss its issue; a
    /// resumed create waits until then.
    public var jiraCloudSearchLagSeconds = 60
    /// The sweeps that repair missed webhooks: intervals, overlap and budgets.
    public var sweeps = SweepPolicy()
    /// A tracker's answer larger than this fails the call (TICKET_HTTP_MAX_RESPONSE_BYTES, default 1 MiB).
    public var maxResponseBytes = 1 << 20
    /// The Atlassian OAuth 2.0 app `jira_cloud` connections are made with (TICKET_JIRA_OAUTH_*, TICKET_ATLASSIAN_*).
    public var jiraOAuth = JiraOAuthSettings()

    public static let defaultMaxBody = 1 << 20

    public init(environment: [String: String]) {
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        databaseURL = value("DATABASE_URL") ?? ""
        maxBodyBytes =
            value("TICKETSYNC_MAX_BODY").flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultMaxBody
        let requested = value("TICKET_PROVIDER")?.lowercased() ?? ProviderKind.mock.rawValue
        provider = ProviderKind(rawValue: requested) ?? .mock
        unknownProviderValue = ProviderKind(rawValue: requested) == nil ? requested : nil
        webhookSecrets = Self.secrets(value("TICKET_WEBHOOK_SECRET"))
        publicBaseURL = Self.serviceURL(value("PUBLIC_BASE_URL"))?.absoluteString
        var warnings: [String] = []
        trackerEnvironment = Self.readTrackerEnvironment(value, warnings: &warnings)
        if let unknownProviderValue {
            warnings.insert(
                "unknown TICKET_PROVIDER '\(unknownProviderValue)': falling back to the mock provider", at: 0)
        }
        self.warnings = warnings
        func positive(_ key: String, _ fallback: Int) -> Int {
            value(key).flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? fallback
        }
        delivery = DeliveryPolicy(
            baseMilliseconds: positive("TICKET_DELIVERY_BACKOFF_BASE_MS", 1000),
            capSeconds: positive("TICKET_DELIVERY_BACKOFF_CAP_S", 3600),
            maxAttempts: positive("TICKET_DELIVERY_MAX_ATTEMPTS", 12))
        let connect = TimeInterval(positive("TICKET_HTTP_CONNECT_TIMEOUT_S", 5))
        httpTimeouts = HTTPTimeouts(connect: connect, total: TimeInterval(positive("TICKET_HTTP_TIMEOUT_S", 10)))
        let inline = TimeInterval(positive("TICKET_DELIVERY_INLINE_TIMEOUT_S", 3))
        inlineTimeouts = HTTPTimeouts(connect: min(connect, inline), total: inline)
        deliveryPollMilliseconds = positive("TICKET_DELIVERY_POLL_MS", 500)
        outboxRetentionDays = positive("TICKET_OUTBOX_RETENTION_DAYS", 7)
        maxResponseBytes = positive("TICKET_HTTP_MAX_RESPONSE_BYTES", 1 << 20)
        trackerConcurrency = positive("TICKET_TRACKER_CONCURRENCY", 2)
        trackerOrgConcurrency = positive("TICKET_TRACKER_ORG_CONCURRENCY", 4)
        orgConnectionLimit = positive("TICKET_ORG_CONNECTION_LIMIT", 20)
        deliveryConnectionConcurrency = positive("TICKET_DELIVERY_CONNECTION_CONCURRENCY", 2)
        deliveryOrgConcurrency = positive("TICKET_DELIVERY_ORG_CONCURRENCY", 4)
        deliveryLoops = positive("TICKET_DELIVERY_LOOPS", 4)
        jiraCloudSearchLagSeconds = positive("JIRA_CLOUD_SEARCH_LAG_S", 60)
        func duration(_ key: String, _ fallback: Int) -> Int {
            guard let text = value(key) else { return fallback }
            guard let seconds = SweepPolicy.seconds(text) else {
                errors.append("\(key): '\(text)' must be a duration such as 900, 90s, 15m or 1h (at most 7 days)")
                return fallback
            }
            return seconds
        }
        sweeps.intervalSeconds = duration("TICKET_SYNC_SWEEP_INTERVAL", 900)
        sweeps.pollIntervalSeconds = duration("TICKET_SYNC_POLL_INTERVAL", 120)
        sweeps.overlapSeconds = duration("TICKET_SYNC_SWEEP_OVERLAP", 300)
        sweeps.pageBudget = positive("TICKET_SYNC_SWEEP_PAGES", 10)
        sweeps.lookupBudget = positive("TICKET_SYNC_SWEEP_LOOKUPS", 20)
        sweeps.resyncEverySeconds = duration("TICKET_SYNC_RESYNC_EVERY", 10)
        sweeps.dueDateWatchSeconds = duration("TICKET_SYNC_DUE_DATE_INTERVAL", 60)
        retention.outboxDays = outboxRetentionDays
        retention.intervalSeconds = duration("TICKET_RETENTION_INTERVAL", 600)
        if let text = value("TICKET_AUDIT_RETENTION_DAYS") {
            if let days = Int(text), days >= RetentionPolicy.minimumAuditDays {
                retention.auditDays = days
            } else {
                errors.append(
                    "TICKET_AUDIT_RETENTION_DAYS: '\(text)' must be a number of days, at least "
                        + "\(RetentionPolicy.minimumAuditDays) (leave it unset to keep the audit trail forever)")
            }
        }
        databaseLimits.connectTimeoutSeconds = positive("TICKETSYNC_DB_CONNECT_TIMEOUT_S", 5)
        databaseLimits.statementTimeoutMilliseconds = positive("TICKETSYNC_DB_STATEMENT_TIMEOUT_MS", 5000)
        databaseLimits.lockTimeoutMilliseconds = positive("TICKETSYNC_DB_LOCK_TIMEOUT_MS", 2000)
        databaseLimits.idleInTransactionTimeoutMilliseconds = positive(
            "TICKETSYNC_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 10_000)
        func onOff(_ key: String) -> Bool {
            switch value(key)?.lowercased() {
            case nil, "on", "true", "1", "yes": return true
            case "off", "false", "0", "no": return false
            case let other?:
                errors.append("\(key): '\(other)' must be on or off")
                return true
            }
        }
        databaseLimits.preparedStatements = onOff("TICKETSYNC_DB_PREPARED_STATEMENTS")
        if let schema = value("TICKETSYNC_HOST_SCHEMA") {
            if let valid = HostSchema(schema) {
                databaseLimits.hostSchema = valid
            } else {
                errors.append(
                    "TICKETSYNC_HOST_SCHEMA: '\(schema)' is not a schema name (1 to 63 bytes, no control characters)")
            }
        }
        if let networks = value("TICKET_ALLOWED_TRACKER_NETWORKS") {
            switch CIDR.list(networks) {
            case .success(let parsed): allowedTrackerNetworks = parsed
            case .failure(let bad):
                errors.append("TICKET_ALLOWED_TRACKER_NETWORKS: '\(bad.entry)' is not a network (CIDR)")
            }
        }
        // A secret setting that holds only separators (",") would leave nothing to sign or verify with.
        let inboundKeys = Set(Trackers.all.compactMap { $0.environment.keys["webhook_secret"] })
        for key in inboundKeys.sorted() where value(key) != nil && Self.secrets(value(key)).isEmpty {
            errors.append("\(key) holds no secret (only commas and spaces); set it or leave it unset")
        }
        envFallback = onOff("TICKET_ENV_FALLBACK")
        jiraOAuth = JiraOAuthSettings(value, errors: &errors)
        if let text = value("TICKET_STATUS_MAP") {
            do { statusMap = try StatusMap.parse(text) } catch { errors.append("TICKET_STATUS_MAP: \(error)") }
        }
        readTicketFields(value)
        if let text = value("TICKET_WEBHOOK_INBOUND_SIGNATURE") {
            if let policy = InboundSignaturePolicy(rawValue: text.lowercased()) {
                inboundSignature = policy
            } else {
                errors.append("TICKET_WEBHOOK_INBOUND_SIGNATURE: must be any or standard")
            }
        }
        switch value("TICKETSYNC_LOG_FORMAT")?.lowercased() {
        case nil, "text": logFormat = .text
        case "json": logFormat = .json
        case let other?: errors.append("TICKETSYNC_LOG_FORMAT: '\(other)' must be text or json")
        }
    }

    /// The keys a provider still needs, in the order the documentation lists them (an unusable URL was left out
    /// when read, so it counts as missing: there is nowhere to send to).
    public func missingKeys(for kind: ProviderKind) -> [String] {
        let values = trackerEnvironment[kind.rawValue] ?? [:]
        let names = Dictionary(kind.tracker.environment.keys.map { ($0.value, $0.key) }) { first, _ in first }
        return kind.requiredKeys.filter { key in names[key].map { values[$0] == nil } ?? true }
    }

    /// The generic inbound webhook is open only when a shared secret is configured.
    public var inboundOpen: Bool { !webhookSecrets.isEmpty }

    /// Where a tracker's user can follow a link back to the evidence request, when PUBLIC_BASE_URL is set.
    public func evidenceRequestURL(_ request: EvidenceRequest) -> String? {
        publicBaseURL.map { "\($0)/orgs/\(request.orgID)/evidence-requests/\(request.id)" }
    }
}
