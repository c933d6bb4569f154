import Foundation

/// The Jira account Ticket Sync acts as (`GET /rest/api/2/myself`): comments it authored are never imported back.
public struct JiraIdentity: Sendable, Equatable {
    /// Cloud.
    public var accountID: String?
    /// Data Center.
    public var name: String?
    public var key: String?

    /// Whether a webhook's `comment.author` is this account.
    func matches(_ author: JSONValue?) -> Bool {
        guard let author else { return false }
        if let id = accountID, author["accountId"]?.stringValue == id { return true }
        if let name, author["name"]?.stringValue == name { return true }
        if let key, author["key"]?.stringValue == key { return true }
        return false
    }
}

/// Fetched once per process, then kept; a failed fetch is tried again on the next webhook.
final class JiraIdentityCache: @unchecked Sendable {
    private let lock = NSLock()
    private var identity: JiraIdentity?

    func get(_ fetch: () -> JiraIdentity?) -> JiraIdentity? {
        if let known = lock.withLock({ identity }) { return known }
        let fetched = fetch()
        lock.withLock { identity = identity ?? fetched }
        return fetched
    }
}
