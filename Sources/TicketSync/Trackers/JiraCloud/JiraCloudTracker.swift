import Foundation
import TicketSyncPlatform

/// Jira Cloud connected the hosted way (docs/trackers/jira-cloud.md): an org admin consents through Atlassian's
/// OAuth 2.0 (3LO) flow (`JiraOAuthRoutes`), and the connection calls `<api>/ex/jira/{cloudId}/rest/api/3/…` with a
/// bearer access token it refreshes itself (`JiraOAuthTokens`), through the Jira provider's own logic (`JiraProvider`
/// with a `JiraCloudSite`). It registers, refreshes and removes its own webhooks (`JiraCloudWebhooks`), whose
/// deliveries carry a JWT signed with the app's client secret. There is no deployment default of this kind: every
/// connection is an org's own.
enum JiraCloudTracker: Tracker {
    static let kindName = "jira_cloud"
    static let displayName = "Jira"

    /// As `jira`. The fields Ticket Sync sets itself cannot be mapped.
    static let ownedFields: [String] = JiraTracker.ownedFields
    static let dueDateField: String? = "duedate"

    static let connectionSpec = ConnectionSpec(
        kind: .jiraCloud,
        // The flow's own settings (`JiraCloudState.flowSettings`) are stored with these but are not among them: a
        // PATCH cannot set or remove them (422, not a jira_cloud setting).
        settings: ["project_key", "issue_type", "status_map"],
        defaults: ["issue_type": "Task", "status_map": StatusMap.standard.text],
        secrets: ["access_token", "refresh_token", "inbound_url"],
        required: ["settings.cloud_id", "settings.site_url", "settings.project_key", "secrets.refresh_token"])

    /// Never a deployment default (TICKET_PROVIDER): the required key below is no environment key, so it always
    /// counts as missing and names why.
    static let environment = TrackerEnvironment(
        keys: [:], required: ["an org connection (POST /api/v1/orgs/{org_id}/ticket-sync/connections/oauth/jira)"])

    static var inboundEvents: [String] { JiraCloudWebhooks.events }

    /// Deliveries come only to a connection's inbound URL, which the connection registered itself.
    static var inboundSource: InboundSource? { nil }

    static func validate(setting name: String, _ text: String, field: String) throws -> String? {
        try JiraTracker.validate(setting: name, text, field: field)
    }

    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider {
        guard let connectionID = config.connectionID else { throw APIError.providerNotConfigured(config) }
        if config.settings[JiraCloudState.needsReconnect] != nil {
            throw APIError.needsReconnect(config.name, connection: connectionID)
        }
        let oauth = context.settings.jiraOAuth
        guard oauth.missing.isEmpty else { throw APIError.jiraOAuthNotConfigured(oauth.missing) }
        var jira = JiraSettings(config)
        jira.deployment = .cloud
        jira.email = nil
        guard let cloudID = config.settings["cloud_id"], JiraOAuthClient.safeCloudID(cloudID),
            let site = config.serviceURL("site_url"), let project = jira.projectKey,
            let base = URL(string: "\(oauth.apiURL.absoluteString)/ex/jira/\(cloudID)")
        else { throw APIError.providerNotConfigured(config) }
        let tokens = JiraOAuthTokens(config: config, context: context)
        let token = try tokens.accessToken()
        let provider = JiraProvider(
            settings: jira, baseURL: base, apiToken: token, projectKey: project,
            http: JiraCloudHTTP(context.http, tokens: tokens, accessToken: token),
            timeouts: context.settings.httpTimeouts, identityCache: context.registry.jiraIdentity(config),
            deploymentCache: context.registry.jiraDeployment(config, baseURL: base),
            cloudSearchLagSeconds: context.settings.jiraCloudSearchLagSeconds, linkBack: context.linkBack,
            cloudSite: JiraCloudSite(siteURL: site), fieldMapping: config.fields)
        return JiraCloudProvider(
            jira: provider, connectionID: connectionID, inboundURL: config.secrets["inbound_url"])
    }

    /// The JWT is checked in `applyInbound`, which has the deployment's client secret, before the body is read.
    static func verifyInbound(_ request: HTTPRequest, connection: Connection, secrets: [String])
        -> Result<InboundSignaturePolicy.Verified, InboundRejection>
    {
        .success(.bodyOnly)
    }

    /// A delivery of our own webhooks: `Authorization: Bearer <JWT>` (HS256, the app's client secret; `exp`/`iat`
    /// within a minute) verified before anything of the body is read, every failure the same 401; then only
    /// deliveries whose `matchedWebhookIds` include this connection's registrations are applied, as Jira's own events
    /// (a redelivery keeps its `X-Atlassian-Webhook-Identifier`, which de-duplicates it).
    static func applyInbound(
        _ context: RequestContext, connection: Connection, verified: InboundSignaturePolicy.Verified
    ) throws -> HTTPResponse {
        let db = try context.database()
        let rejection: String? =
            context.settings.jiraOAuth.clientSecret.map {
                JiraCloudJWT.rejection(authorization: context.request.header("authorization"), secret: $0)
            } ?? "no client secret is configured"
        if let rejection {
            ServerLog.warning("inbound hook of connection \(connection.id) rejected: jwt \(rejection)")
            try InboundRejectionStore(db: db).record(connection, reason: "jwt \(rejection)")
            throw APIError.badInboundSignature
        }
        var matched: [Int] = []
        if case .array(let ids)? = try context.parsedBody()["matchedWebhookIds"] {
            matched = ids.compactMap { JiraProvider.identifier($0).flatMap { Int($0) } }
        }
        guard try JiraCloudWebhookStore(db: db).ours(connection: connection.id.rawValue, matched: matched) else {
            return InboundApplied.response(ignored: "not a delivery of this connection's webhooks")
        }
        return try JiraWebhookRoutes.apply(
            context, scope: .connection(connection.id), statusMap: connection.statusMap, provider: .jiraCloud
        ) {
            (try? context.providers.config(connection)).flatMap {
                (try? context.providers.provider($0) as? JiraCloudProvider)?.jira
            }
        }
    }
}

extension ProviderKind {
    public static let jiraCloud = ProviderKind(JiraCloudTracker.self)
}

extension APIError {
    /// The deployment has no Atlassian OAuth app configured.
    static func jiraOAuthNotConfigured(_ missing: [String]) -> APIError {
        APIError(
            503, "provider-not-configured",
            "Connecting Jira Cloud with OAuth is not configured: the operator must set \(missing.joined(separator: " and ")).",
            title: "Ticket provider not configured",
            extensions: ["missing_keys": .array(missing.map(JSONValue.string))])
    }
}
