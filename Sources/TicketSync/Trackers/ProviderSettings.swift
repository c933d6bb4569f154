import Foundation

/// Jira settings (REST v2, Cloud and Data Center).
public struct JiraSettings: Sendable {
    /// With any context path kept, without a trailing slash.
    public var baseURL: URL?
    public var apiToken: String?
    public var projectKey: String?
    /// Set → `Authorization: Basic base64(email:token)` (Cloud); unset → `Authorization: Bearer <token>` (Data Center PAT).
    public var email: String?
    public var issueType: String
    /// JIRA_DEPLOYMENT / `settings.deployment`: `cloud` or `datacenter`; nil: asked from serverInfo when needed.
    public var deployment: JiraDeployment? = nil
    /// JIRA_WEBHOOK_SECRET, comma-separated for rotation: verifies `X-Hub-Signature` of Jira's own webhooks.
    public var webhookSecrets: [String]
}

/// ServiceNow settings (Table API).
public struct ServiceNowSettings: Sendable {
    public enum Auth: String, Sendable {
        /// `x-sn-apikey: <token>`: long-lived API keys.
        case apikey
        /// `Authorization: Bearer <token>`: OAuth access tokens.
        case bearer
    }

    public var baseURL: URL?
    public var apiToken: String?
    public var auth: Auth
    public var table: String
    public var closeCode: String
    public var closeState: String
}

extension Settings {
    /// An http(s) URL with a host; nil for anything else (such a key counts as missing).
    static func httpURL(_ text: String?) -> URL? {
        guard let text, let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
            parsed.host != nil
        else { return nil }
        return parsed
    }

    /// A base URL that paths are appended to: an http(s) URL with its trailing slashes removed.
    static func serviceURL(_ text: String?) -> URL? {
        guard var text = httpURL(text)?.absoluteString else { return nil }
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text)
    }

    static func secrets(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func jira(_ value: (String) -> String?, warnings: inout [String]) -> JiraSettings {
        var deployment: JiraDeployment?
        if let raw = value("JIRA_DEPLOYMENT") {
            deployment = JiraDeployment(rawValue: raw.lowercased())
            if deployment == nil { warnings.append("unknown JIRA_DEPLOYMENT '\(raw)': asking Jira's serverInfo") }
        }
        return JiraSettings(
            baseURL: serviceURL(value("JIRA_BASE_URL")), apiToken: value("JIRA_API_TOKEN"),
            projectKey: value("JIRA_PROJECT_KEY"), email: value("JIRA_EMAIL"),
            issueType: value("JIRA_ISSUE_TYPE") ?? "Task", deployment: deployment,
            webhookSecrets: secrets(value("JIRA_WEBHOOK_SECRET")))
    }

    static func serviceNow(_ value: (String) -> String?, warnings: inout [String]) -> ServiceNowSettings {
        var auth = ServiceNowSettings.Auth.apikey
        if let raw = value("SERVICENOW_AUTH") {
            if let parsed = ServiceNowSettings.Auth(rawValue: raw.lowercased()) {
                auth = parsed
            } else {
                warnings.append("unknown SERVICENOW_AUTH '\(raw)': using apikey")
            }
        }
        var table = value("SERVICENOW_TABLE") ?? "incident"
        if table.isEmpty || !table.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            warnings.append("SERVICENOW_TABLE '\(table)' is not a table name: using incident")
            table = "incident"
        }
        return ServiceNowSettings(
            baseURL: serviceURL(value("SERVICENOW_BASE_URL")), apiToken: value("SERVICENOW_API_TOKEN"),
            auth: auth, table: table, closeCode: value("SERVICENOW_CLOSE_CODE") ?? "Solution provided",
            closeState: value("SERVICENOW_CLOSE_STATE") ?? "6")
    }
}
