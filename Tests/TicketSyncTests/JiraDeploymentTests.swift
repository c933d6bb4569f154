import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Cloud or Data Center, and how long a resumed Cloud create waits for Jira's search.
struct JiraDeploymentTests {
    func provider(deployment: JiraDeployment?, http: RecordingHTTP, lag: Int = 60) throws -> JiraProvider {
        var settings = Settings(environment: [:]).jira
        settings.deployment = deployment
        return JiraProvider(
            settings: settings, baseURL: try #require(URL(string: "https://grc.atlassian.net")), apiToken: "t",
            projectKey: "GRC", http: http, timeouts: HTTPTimeouts(connect: 1, total: 1),
            identityCache: JiraIdentityCache(), deploymentCache: JiraDeploymentCache(), cloudSearchLagSeconds: lag,
            linkBack: { _ in nil })
    }

    @Test func serverInfoSaysCloudOnlyForCloud() {
        #expect(JiraDeployment.fromServerInfo("Cloud") == .cloud)
        #expect(JiraDeployment.fromServerInfo("Server") == .datacenter)
        #expect(JiraDeployment.fromServerInfo(nil) == .datacenter)
    }

    @Test func theEnvironmentMayStateTheDeploymentAndTheLag() {
        let stated = Settings(environment: ["JIRA_DEPLOYMENT": "DataCenter", "JIRA_CLOUD_SEARCH_LAG_S": "90"])
        #expect(stated.jira.deployment == .datacenter && stated.jiraCloudSearchLagSeconds == 90)
        let unknown = Settings(environment: ["JIRA_DEPLOYMENT": "onprem"])
        #expect(unknown.jira.deployment == nil)
        #expect(unknown.warnings.contains { $0.contains("JIRA_DEPLOYMENT") })
        #expect(Settings(environment: [:]).jiraCloudSearchLagSeconds == 60)
    }

    @Test func aResumedCloudCreateWaitsOutTheLagAndDataCenterDoesNot() throws {
        let http = RecordingHTTP()
        let cloud = try provider(deployment: .cloud, http: http)
        #expect(try cloud.resumeDelay(sinceAttempt: 12.2) == 48)
        #expect(try cloud.resumeDelay(sinceAttempt: 59.9) == 1)
        #expect(try cloud.resumeDelay(sinceAttempt: 60) == nil)
        #expect(try provider(deployment: .datacenter, http: http).resumeDelay(sinceAttempt: 0) == nil)
        #expect(http.sent.isEmpty, "a stated deployment asks nothing")
    }

    @Test func serverInfoIsAskedOnceAndAFailureIsNotRemembered() throws {
        let http = RecordingHTTP()
        let jira = try provider(deployment: nil, http: http)
        http.answer = .response(status: 503, headers: [:], body: [])
        #expect(throws: TrackerError.self) { try jira.deployment() }
        http.answer = .response(status: 200, headers: [:], body: Array(#"{"deploymentType":"Cloud"}"#.utf8))
        #expect(try jira.deployment() == .cloud)
        #expect(try jira.deployment() == .cloud)
        #expect(http.sent.map(\.url.path) == Array(repeating: "/rest/api/2/serverInfo", count: 2))
    }
}
