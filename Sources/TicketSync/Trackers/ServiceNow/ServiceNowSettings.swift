import Foundation

/// ServiceNow settings (Table API), read from a configuration.
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

    public init(_ config: TrackerConfig) {
        baseURL = config.serviceURL("base_url")
        apiToken = config.secrets["api_token"]
        auth = config.settings["auth"].flatMap(Auth.init) ?? .apikey
        table = config.settings["table"] ?? "incident"
        closeCode = config.settings["close_code"] ?? "Solution provided"
        closeState = config.settings["close_state"] ?? "6"
    }
}

extension Settings {
    /// The deployment default's ServiceNow settings.
    public var serviceNow: ServiceNowSettings { ServiceNowSettings(.deployment(self, kind: .servicenow)) }
}
