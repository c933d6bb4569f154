import Foundation
import Testing

@testable import TicketSync

/// Jira's answers a process remembers are kept per connection (never shared between orgs), one version each, and
/// for a bounded number of connections.
struct ProviderRegistryCacheTests {
    static let settings = Settings(environment: [
        "JIRA_BASE_URL": "https://grc.atlassian.net", "JIRA_API_TOKEN": "t", "JIRA_PROJECT_KEY": "GRC",
    ])

    /// A Jira connection's configuration (no outbound guard: the recording client sends nothing anywhere).
    static func jira(connection: String, version: String = "v1", baseURL: String = "https://grc.atlassian.net")
        throws -> TrackerConfig
    {
        var config = TrackerConfig.deployment(settings, kind: .jira)
        config.connectionID = connection
        config.version = version
        config.orgID = "org-of-\(connection)"
        config.settings["base_url"] = baseURL
        return config
    }

    @Test func anEditedConnectionKeepsOneEntryOfEachCache() throws {
        let registry = ProviderRegistry(settings: Self.settings, http: RecordingHTTP())
        for version in 0..<50 {
            _ = try registry.provider(
                Self.jira(connection: "c1", version: "v\(version)", baseURL: "https://site\(version).atlassian.net"))
        }
        #expect(registry.jiraIdentities.count == 1)
        #expect(registry.jiraDeployments.count == 1)
        _ = try registry.provider(.jira)
        #expect(registry.jiraIdentities.count == 2 && registry.jiraDeployments.count == 2, "the default has its own")
    }

    @Test func twoConnectionsToTheSameSiteAskForThemselves() throws {
        let http = RecordingHTTP()
        let registry = ProviderRegistry(settings: Self.settings, http: http)
        http.answer = .response(status: 200, headers: [:], body: Array(#"{"deploymentType":"Cloud"}"#.utf8))
        let first = try #require(try registry.provider(Self.jira(connection: "org-a-jira")) as? JiraProvider)
        #expect(try first.deployment() == .cloud)
        // Another org's connection naming the same base URL: org A's answer does not decide its search.
        http.answer = .response(status: 200, headers: [:], body: Array(#"{"deploymentType":"Server"}"#.utf8))
        let second = try #require(try registry.provider(Self.jira(connection: "org-b-jira")) as? JiraProvider)
        #expect(try second.deployment() == .datacenter)
        #expect(http.sent.map(\.url.path) == Array(repeating: "/rest/api/2/serverInfo", count: 2))
        // Each keeps its own answer: asked once per connection.
        let firstAgain = try #require(try registry.provider(Self.jira(connection: "org-a-jira")) as? JiraProvider)
        #expect(try firstAgain.deployment() == .cloud)
        #expect(http.sent.count == 2)
    }

    @Test func theCachesNeverHoldMoreThanTheirCapacity() throws {
        let registry = ProviderRegistry(settings: Self.settings, http: RecordingHTTP())
        let capacity = ProviderRegistry.jiraCacheCapacity
        for index in 0..<(capacity + 25) { _ = try registry.provider(Self.jira(connection: "c\(index)")) }
        #expect(registry.jiraIdentities.count == capacity)
        #expect(registry.jiraDeployments.count == capacity)
    }

    @Test func theLeastRecentlyUsedTrackerIsForgottenFirst() {
        final class Box {}
        let cache = TrackerCache<Box>(capacity: 2)
        let a = cache.value(tracker: "a", version: "1") { Box() }
        _ = cache.value(tracker: "b", version: "1") { Box() }
        #expect(cache.value(tracker: "a", version: "1") { Box() } === a, "a is used again")
        _ = cache.value(tracker: "c", version: "1") { Box() }
        #expect(cache.count == 2)
        #expect(cache.value(tracker: "a", version: "1") { Box() } === a, "b went, not a")
        #expect(cache.value(tracker: "a", version: "2") { Box() } !== a, "a new version replaces the old")
    }
}
