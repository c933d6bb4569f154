import Foundation

/// What differs for a Jira Cloud site reached through Atlassian's API gateway with OAuth 2.0 (`jira_cloud`): the
/// provider's base URL is `<api>/ex/jira/{cloudId}`, its token a bearer access token, every call REST v3, and an
/// issue is browsed on the site's own URL.
struct JiraCloudSite: Sendable {
    /// `https://<site>.atlassian.net`, from accessible-resources.
    let siteURL: URL
}
