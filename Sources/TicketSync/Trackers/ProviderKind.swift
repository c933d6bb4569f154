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

    /// What the tracker's webhook must send for replies and status changes to come back (the readiness view shows
    /// it): Jira's webhook events; ServiceNow's two Business Rules (README); a webhook adapter's payload members.
    public var inboundEvents: [String] {
        switch self {
        case .mock: []
        case .webhook: ["comment", "tracker_status"]
        case .jira: JiraWebhook.subscribedEvents
        case .servicenow: ["sys_journal_field after insert (comments)", "incident after update when state changes"]
        }
    }
}
