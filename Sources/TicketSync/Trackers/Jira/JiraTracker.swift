import TicketSyncPlatform

/// Jira through REST v2 (Cloud and Data Center), with Jira's own signed webhook back.
enum JiraTracker: Tracker {
    static let kindName = "jira"
    static let displayName = "Jira"

    /// Jira: `labels` in a mapping are added to ours (the creation key and `ticketsync`). The fields Ticket Sync sets itself cannot be mapped.
    static let ownedFields: [String] = ["project", "summary", "issuetype"]
    static let dueDateField: String? = "duedate"

    static let connectionSpec = ConnectionSpec(
        kind: .jira, settings: ["base_url", "project_key", "issue_type", "email", "deployment", "status_map"],
        defaults: ["issue_type": "Task", "status_map": StatusMap.standard.text],
        secrets: ["api_token", "webhook_secret"],
        required: ["settings.base_url", "settings.project_key", "secrets.api_token"])

    static let environment = TrackerEnvironment(
        keys: [
            "base_url": "JIRA_BASE_URL", "api_token": "JIRA_API_TOKEN", "project_key": "JIRA_PROJECT_KEY",
            "email": "JIRA_EMAIL", "issue_type": "JIRA_ISSUE_TYPE", "deployment": "JIRA_DEPLOYMENT",
            "webhook_secret": "JIRA_WEBHOOK_SECRET",
        ],
        required: ["JIRA_BASE_URL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"], checked: ["deployment"])

    static var inboundEvents: [String] { JiraWebhook.subscribedEvents }

    static var inboundSource: InboundSource? { .jira }

    /// `POST /api/v1/ticket-sync/webhook/jira`: Jira's own webhooks for the deployment default.
    static var deploymentWebhook: Router.Handler? { JiraWebhookRoutes.webhook }

    static func validate(setting name: String, _ text: String, field: String) throws -> String? {
        switch name {
        case "project_key":
            guard text.unicodeScalars.count <= 50, text.first?.isLetter == true,
                text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else { throw APIError.invalidField(field, "`\(field)` must be a Jira project key such as GRC.") }
        case "deployment":
            guard let deployment = JiraDeployment(rawValue: text.lowercased()) else {
                throw APIError.invalidField(field, "`\(field)` must be cloud or datacenter.")
            }
            return deployment.rawValue
        case "email":
            guard text.contains("@"), text.count <= 254 else {
                throw APIError.invalidField(field, "`\(field)` must be an email address.")
            }
        default: return nil
        }
        return text
    }

    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider {
        let jira = JiraSettings(config)
        guard let baseURL = jira.baseURL, let token = jira.apiToken, let project = jira.projectKey else {
            throw APIError.providerNotConfigured(config)
        }
        return JiraProvider(
            settings: jira, baseURL: baseURL, apiToken: token, projectKey: project, http: context.http,
            timeouts: context.settings.httpTimeouts, identityCache: context.registry.jiraIdentity(config),
            deploymentCache: context.registry.jiraDeployment(config, baseURL: baseURL),
            cloudSearchLagSeconds: context.settings.jiraCloudSearchLagSeconds, linkBack: context.linkBack,
            fieldMapping: config.fields)
    }

    /// `X-Hub-Signature` over the raw body, with the connection's secrets.
    static func verifyInbound(_ request: HTTPRequest, connection: Connection, secrets: [String])
        -> Result<InboundSignaturePolicy.Verified, InboundRejection>
    {
        if let rejection = WebhookSignature.verify(
            header: request.header(InboundSource.jira.signatureHeader), body: request.body, secrets: secrets)
        {
            return .failure(InboundRejection("signature \(rejection.rawValue)"))
        }
        return .success(.bodyOnly)
    }

    /// Jira's own events; the full configuration (its API token) is opened only for Jira's own account, when a
    /// comment needs it.
    static func applyInbound(
        _ context: RequestContext, connection: Connection, verified: InboundSignaturePolicy.Verified
    ) throws -> HTTPResponse {
        try JiraWebhookRoutes.apply(
            context, scope: .connection(connection.id), statusMap: connection.statusMap
        ) {
            (try? context.providers.config(connection)).flatMap {
                try? context.providers.provider($0) as? JiraProvider
            }
        }
    }
}

extension ProviderKind {
    public static let jira = ProviderKind(JiraTracker.self)
}

extension InboundSource {
    /// Jira's own webhooks, signed with `X-Hub-Signature` and JIRA_WEBHOOK_SECRET.
    public static let jira = InboundSource(
        name: "jira", path: "/api/v1/ticket-sync/webhook/jira", secretKey: "JIRA_WEBHOOK_SECRET",
        signatureHeader: "x-hub-signature", secrets: { $0.jira.webhookSecrets })
}
