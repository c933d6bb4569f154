/// The providers TICKET_PROVIDER can name, with the settings each one needs before it may be used.
public enum ProviderKind: String, CaseIterable, Sendable {
    case mock
    case webhook
    case jira
    case servicenow

    public var requiredKeys: [String] {
        switch self {
        case .mock: []
        case .webhook: ["TICKET_WEBHOOK_URL", "TICKET_WEBHOOK_SECRET"]
        case .jira: ["JIRA_BASE_URL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"]
        case .servicenow: ["SERVICENOW_BASE_URL", "SERVICENOW_API_TOKEN"]
        }
    }
}

extension ProviderKind {
    /// Where replies from this provider's tracker come in: Jira has its own signed webhook; ServiceNow (through a
    /// Business Rule), custom adapters and the mock use the generic one.
    public var inboundSource: InboundSource {
        self == .jira ? .jira : .generic
    }
}
