import Foundation

/// Jira settings (REST v2, Cloud and Data Center), read from a configuration.
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
    /// JIRA_WEBHOOK_SECRET, comma-separated for rotation (or the connection's): verifies `X-Hub-Signature`.
    public var webhookSecrets: [String]

    public init(_ config: TrackerConfig) {
        baseURL = config.serviceURL("base_url")
        apiToken = config.secrets["api_token"]
        projectKey = config.settings["project_key"]
        email = config.settings["email"]
        issueType = config.settings["issue_type"] ?? "Task"
        deployment = config.settings["deployment"].flatMap(JiraDeployment.init)
        webhookSecrets = config.inboundSecrets
    }
}

extension Settings {
    /// The deployment default's Jira settings.
    public var jira: JiraSettings { JiraSettings(.deployment(self, kind: .jira)) }
}
