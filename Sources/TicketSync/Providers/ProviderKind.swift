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
        case .jira: ["JIRA_BASE_URL", "JIRA_API_TOKEN"]
        case .servicenow: ["SERVICENOW_BASE_URL", "SERVICENOW_API_TOKEN"]
        }
    }
}
