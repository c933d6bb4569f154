import Foundation
import TicketSyncPlatform

/// Linear through its GraphQL API (`POST <base>/graphql`), with Linear's own signed webhooks back on a connection's
/// inbound URL. The deployment default can use it too (LINEAR_* keys), but its replies and state changes come back
/// only through a connection's inbound URL: the deployment-level routes speak the generic and Jira schemes.
enum LinearTracker: Tracker {
    static let kindName = "linear"
    static let displayName = "Linear"

    /// Linear: `issueCreate` input fields. The fields Ticket Sync sets itself cannot be mapped.
    static let ownedFields: [String] = ["teamId", "id"]
    static let dueDateField: String? = "dueDate"

    static let connectionSpec = ConnectionSpec(
        kind: .linear, settings: ["base_url", "team_id", "status_map"],
        defaults: ["base_url": LinearSettings.defaultBaseURL, "status_map": StatusMap.standard.text],
        secrets: ["api_key", "webhook_secret"],
        required: ["settings.team_id", "secrets.api_key"])

    static let environment = TrackerEnvironment(
        keys: ["base_url": "LINEAR_BASE_URL", "api_key": "LINEAR_API_KEY", "team_id": "LINEAR_TEAM_ID"],
        required: ["LINEAR_API_KEY", "LINEAR_TEAM_ID"])

    static let inboundEvents = ["Comments (create)", "Issues (update: state changes)"]

    /// Linear's webhooks verify only on a connection's inbound URL: no deployment-level route takes them.
    static var inboundSource: InboundSource? { nil }

    static func validate(setting name: String, _ text: String, field: String) throws -> String? {
        switch name {
        case "team_id":
            // Linear's ids are UUIDs; the team key (GRC) is not accepted by issueCreate's teamId.
            guard let uuid = UUID(uuidString: text) else {
                throw APIError.invalidField(
                    field, "`\(field)` must be the Linear team's id (a UUID), not its key; see the team's settings.")
            }
            return uuid.uuidString.lowercased()
        default: return nil
        }
    }

    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider {
        let settings = LinearSettings(config)
        guard let baseURL = settings.baseURL, let key = settings.apiKey, let team = settings.teamID else {
            throw APIError.providerNotConfigured(config)
        }
        return LinearProvider(
            client: LinearGraphQL(baseURL: baseURL, apiKey: key, http: context.http), teamID: team,
            timeouts: context.settings.httpTimeouts, states: LinearStateCache.of(config, team: team),
            linkBack: context.linkBack, mapping: config.fields)
    }

    /// `Linear-Signature` over the raw body with the connection's webhook secrets, then the body's
    /// `webhookTimestamp` (within 60 s).
    static func verifyInbound(_ request: HTTPRequest, connection: Connection, secrets: [String])
        -> Result<InboundSignaturePolicy.Verified, InboundRejection>
    {
        if let rejection = LinearWebhook.verify(
            signature: request.header(LinearWebhook.signatureHeader), body: request.body, secrets: secrets)
        {
            return .failure(rejection)
        }
        return .success(.bodyOnly)
    }

    static func applyInbound(
        _ context: RequestContext, connection: Connection, verified: InboundSignaturePolicy.Verified
    ) throws -> HTTPResponse {
        try LinearWebhookRoutes.apply(
            context, scope: .connection(connection.id), statusMap: connection.statusMap)
    }
}

extension ProviderKind {
    public static let linear = ProviderKind(LinearTracker.self)
}
