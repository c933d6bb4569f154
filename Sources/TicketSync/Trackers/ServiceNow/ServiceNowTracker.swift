import TicketSyncPlatform

/// ServiceNow through the Table API; replies and state changes come back through Business Rules posting to the
/// generic scheme.
enum ServiceNowTracker: Tracker {
    static let kindName = "servicenow"
    static let displayName = "ServiceNow"

    /// ServiceNow: columns of the table. The fields Ticket Sync sets itself cannot be mapped.
    static let ownedFields: [String] = ["short_description", "correlation_id"]
    static let dueDateField: String? = "due_date"

    static let connectionSpec = ConnectionSpec(
        kind: .servicenow, settings: ["base_url", "table", "auth", "close_code", "close_state", "status_map"],
        defaults: [
            "table": "incident", "auth": "apikey", "close_code": "Solution provided",
            "close_state": "6", "status_map": StatusMap.standard.text,
        ],
        secrets: ["api_token", "webhook_secret"],
        required: ["settings.base_url", "secrets.api_token"])

    static let environment = TrackerEnvironment(
        keys: [
            "base_url": "SERVICENOW_BASE_URL", "api_token": "SERVICENOW_API_TOKEN", "auth": "SERVICENOW_AUTH",
            "table": "SERVICENOW_TABLE", "close_code": "SERVICENOW_CLOSE_CODE", "close_state": "SERVICENOW_CLOSE_STATE",
            "webhook_secret": "TICKET_WEBHOOK_SECRET",
        ],
        required: ["SERVICENOW_BASE_URL", "SERVICENOW_API_TOKEN"], checked: ["auth", "table"])

    static let inboundEvents = [
        "sys_journal_field after insert (comments)", "incident after update when state changes",
    ]

    static func validate(setting name: String, _ text: String, field: String) throws -> String? {
        switch name {
        case "table":
            guard text.count <= 80, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw APIError.invalidField(field, "`\(field)` must be a ServiceNow table name such as incident.")
            }
        case "auth":
            guard let auth = ServiceNowSettings.Auth(rawValue: text.lowercased()) else {
                throw APIError.invalidField(field, "`\(field)` must be apikey or bearer.")
            }
            return auth.rawValue
        default: return nil
        }
        return text
    }

    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider {
        let settings = ServiceNowSettings(config)
        guard let baseURL = settings.baseURL, let token = settings.apiToken else {
            throw APIError.providerNotConfigured(config)
        }
        return ServiceNowProvider(
            settings: settings, baseURL: baseURL, apiToken: token, http: context.http,
            timeouts: context.settings.httpTimeouts, linkBack: context.linkBack, mapping: config.fields)
    }
}

extension ProviderKind {
    public static let servicenow = ProviderKind(ServiceNowTracker.self)
}
