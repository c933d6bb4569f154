/// Hands out a provider only when it may be used: configured, and built.
public struct ProviderRegistry: Sendable {
    let settings: Settings
    let http: any OutboundHTTP
    /// One per process: the Jira account is asked for once.
    let jiraIdentity = JiraIdentityCache()

    public init(settings: Settings, http: any OutboundHTTP = URLSessionHTTP()) {
        self.settings = settings
        self.http = http
    }

    /// The providers this process can deliver events through: configured ones.
    public var deliverable: [String] {
        ProviderKind.allCases.filter { settings.missingKeys(for: $0).isEmpty }.map(\.rawValue)
    }

    /// The provider new tickets are opened with (TICKET_PROVIDER).
    public func active() throws -> any TicketProvider { try provider(settings.provider) }

    /// The provider a link was created with; its ticket lives in that tracker.
    public func provider(named name: String) throws -> any TicketProvider {
        try provider(ProviderKind(rawValue: name) ?? .mock)
    }

    public func provider(_ kind: ProviderKind) throws -> any TicketProvider {
        let missing = settings.missingKeys(for: kind)
        guard missing.isEmpty else { throw APIError.providerNotConfigured(kind, missing: missing) }
        switch kind {
        case .mock:
            return MockProvider()
        case .webhook:
            return WebhookProvider(url: settings.webhookURL!, signingSecret: settings.webhookSecrets[0], http: http,
                                   timeouts: settings.httpTimeouts, linkBack: { [settings] in settings.evidenceRequestURL($0) })
        case .jira:
            let jira = settings.jira
            return JiraProvider(settings: jira, baseURL: jira.baseURL!, apiToken: jira.apiToken!, projectKey: jira.projectKey!,
                                http: http, timeouts: settings.httpTimeouts, identityCache: jiraIdentity,
                                linkBack: { [settings] in settings.evidenceRequestURL($0) })
        case .servicenow:
            let serviceNow = settings.serviceNow
            return ServiceNowProvider(settings: serviceNow, baseURL: serviceNow.baseURL!, apiToken: serviceNow.apiToken!,
                                      http: http, timeouts: settings.httpTimeouts,
                                      linkBack: { [settings] in settings.evidenceRequestURL($0) })
        }
    }
}

extension APIError {
    /// ProviderNotConfigured: 503 naming the settings to add.
    public static func providerNotConfigured(_ kind: ProviderKind, missing: [String]) -> APIError {
        APIError(503, "provider-not-configured",
                 "The \(kind.rawValue) provider is not configured: set \(missing.joined(separator: " and ")).",
                 title: "Ticket provider not configured",
                 extensions: ["provider": .string(kind.rawValue), "missing_keys": .array(missing.map(JSONValue.string))])
    }
}
