import Foundation

/// Which Jira answers: Cloud or Data Center (Server). They differ in how issues are searched: Cloud removed
/// `/rest/api/{2,3}/search` (410 Gone, CHANGE-2046) for `/search/jql`, whose index lags behind writes; Data Center
/// keeps `/rest/api/2/search`.
public enum JiraDeployment: String, Sendable, CaseIterable {
    case cloud
    case datacenter

    /// `GET /rest/api/2/serverInfo`'s `deploymentType`: `Cloud`, or `Server` (Data Center and Server alike; older
    /// servers leave it out).
    static func fromServerInfo(_ deploymentType: String?) -> JiraDeployment {
        deploymentType?.lowercased() == "cloud" ? .cloud : .datacenter
    }
}

/// What serverInfo said for one base URL, asked once per process (only when a create resumes); a failed question is
/// asked again next time.
final class JiraDeploymentCache: @unchecked Sendable {
    private let lock = NSLock()
    private var known: JiraDeployment?

    func get(_ fetch: () throws -> JiraDeployment) throws -> JiraDeployment {
        if let known = lock.withLock({ known }) { return known }
        let fetched = try fetch()
        lock.withLock { known = fetched }
        return fetched
    }
}
