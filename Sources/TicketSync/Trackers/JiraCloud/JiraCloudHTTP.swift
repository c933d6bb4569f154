import Foundation
import TicketSyncPlatform

/// The outbound client of a `jira_cloud` provider: an access token Atlassian refuses (401) before its stored expiry
/// (revoked, or expired early mid-run) is replaced once (`JiraOAuthTokens.accessToken(replacing:)`, under the
/// connection's lock, so processes that see the same refusal make one refresh) and the call sent again; later calls
/// of the same provider use the new token.
final class JiraCloudHTTP: OutboundHTTP, @unchecked Sendable {
    private let inner: any OutboundHTTP
    private let tokens: JiraOAuthTokens
    private let original: String
    private let lock = NSLock()
    private var current: String

    init(_ inner: any OutboundHTTP, tokens: JiraOAuthTokens, accessToken: String) {
        self.inner = inner
        self.tokens = tokens
        self.original = accessToken
        self.current = accessToken
    }

    func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        var request = request
        let used = lock.withLock { current }
        if request.headers["Authorization"] == "Bearer \(original)" {
            request.headers["Authorization"] = "Bearer \(used)"
        }
        let result = inner.send(request, timeout: timeout)
        guard result.status == 401, request.headers["Authorization"] == "Bearer \(used)" else { return result }
        guard let fresh = try? tokens.accessToken(replacing: used) else { return result }
        lock.withLock { current = fresh }
        request.headers["Authorization"] = "Bearer \(fresh)"
        return inner.send(request, timeout: timeout)
    }
}
