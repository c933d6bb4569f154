import Foundation

/// Linear settings (GraphQL API), read from a configuration.
struct LinearSettings: Sendable {
    /// Linear's API host; `POST <base>/graphql`. A setting so that tests can point it at a fake.
    static let defaultBaseURL = "https://api.linear.app"

    var baseURL: URL?
    /// A personal API key (`lin_api_…`), sent bare in `Authorization` (no `Bearer`).
    var apiKey: String?
    /// The team issues are created in (its UUID).
    var teamID: String?

    init(_ config: TrackerConfig) {
        baseURL = config.serviceURL("base_url")
        apiKey = config.secrets["api_key"]
        teamID = config.settings["team_id"]
    }
}
