import Foundation

/// The deployment's Atlassian OAuth 2.0 (3LO) app, which every org's `jira_cloud` connection is made with
/// (docs/trackers/jira-cloud.md): TICKET_JIRA_OAUTH_CLIENT_ID, TICKET_JIRA_OAUTH_CLIENT_SECRET (or
/// TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE), TICKET_JIRA_OAUTH_REDIRECT_URL, and where Atlassian answers
/// (TICKET_ATLASSIAN_AUTH_URL, TICKET_ATLASSIAN_API_URL; the tests point them at a loopback fake).
public struct JiraOAuthSettings: Sendable {
    public var clientID: String?
    public var clientSecret: String?
    public var redirectURL: String?
    public var authURL: URL
    public var apiURL: URL

    static let defaultAuthURL = "https://auth.atlassian.com"
    static let defaultAPIURL = "https://api.atlassian.com"

    public init(clientID: String? = nil, clientSecret: String? = nil, redirectURL: String? = nil) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURL = redirectURL
        authURL = Settings.serviceURL(Self.defaultAuthURL) ?? URL(fileURLWithPath: "/")
        apiURL = Settings.serviceURL(Self.defaultAPIURL) ?? URL(fileURLWithPath: "/")
    }

    /// Reads the environment; an unusable value is an error start-up names (never guessed at).
    init(_ value: (String) -> String?, errors: inout [String]) {
        self.init(clientID: value("TICKET_JIRA_OAUTH_CLIENT_ID"), redirectURL: nil)
        if let path = value("TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE") {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if secret.isEmpty { errors.append("TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE \(path) is empty") }
                clientSecret = secret.isEmpty ? nil : secret
            } else {
                errors.append("TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE \(path) cannot be read")
            }
        } else {
            clientSecret = value("TICKET_JIRA_OAUTH_CLIENT_SECRET")
        }
        if let text = value("TICKET_JIRA_OAUTH_REDIRECT_URL") {
            if let url = Settings.httpURL(text) {
                redirectURL = url.absoluteString
            } else {
                errors.append("TICKET_JIRA_OAUTH_REDIRECT_URL: '\(text)' is not an http(s) URL")
            }
        }
        for (key, keyPath) in [
            ("TICKET_ATLASSIAN_AUTH_URL", \JiraOAuthSettings.authURL), ("TICKET_ATLASSIAN_API_URL", \.apiURL),
        ] {
            guard let text = value(key) else { continue }
            if let url = Settings.serviceURL(text) {
                self[keyPath: keyPath] = url
            } else {
                errors.append("\(key): '\(text)' is not an http(s) URL")
            }
        }
    }

    /// The settings still unset, in documentation order; the flow is offered only when none is.
    public var missing: [String] {
        var keys: [String] = []
        if clientID == nil { keys.append("TICKET_JIRA_OAUTH_CLIENT_ID") }
        if clientSecret == nil { keys.append("TICKET_JIRA_OAUTH_CLIENT_SECRET") }
        if redirectURL == nil { keys.append("TICKET_JIRA_OAUTH_REDIRECT_URL") }
        return keys
    }
}
