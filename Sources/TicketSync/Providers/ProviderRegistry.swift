/// Hands out a provider only when it may be used: configured, and built.
public struct ProviderRegistry: Sendable {
    let settings: Settings
    let http: any OutboundHTTP

    public init(settings: Settings, http: any OutboundHTTP = URLSessionHTTP()) {
        self.settings = settings
        self.http = http
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
                                   timeouts: settings.httpTimeouts, publicBaseURL: settings.publicBaseURL)
        case .jira, .servicenow:
            throw APIError(501, "provider-not-built",
                           "The \(kind.rawValue) provider is configured but not built into this version yet; use TICKET_PROVIDER=mock or webhook.")
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
