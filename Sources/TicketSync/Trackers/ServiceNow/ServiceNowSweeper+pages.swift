import Foundation
import TicketSyncPlatform

/// The Table API's pages: `{"result": [...]}`, the next one named by the `Link` header's `rel="next"` URL (ServiceNow
/// also sends first, prev and last), which is followed only on the connection's own instance.
extension ServiceNowSweeper {
    struct Page {
        var rows: [JSONValue]
        /// The next page's path and query, relative to the base URL; nil on the last page.
        var next: String?
    }

    func page(_ path: String, query: [URLQueryItem], action: String) throws -> Page {
        try page(provider.call("GET", path, query: query, timeouts: provider.timeouts), action: action)
    }

    /// A page a previous answer named: only a query of `path` (the table, or the journal) on this instance.
    func page(relative: String, under path: String, action: String) throws -> Page {
        guard relative.hasPrefix(path + "?"), let url = URL(string: provider.baseURL.absoluteString + relative) else {
            throw TrackerError(
                tracker: "ServiceNow", action: action, reason: .failed("`\(relative)` is not a page of \(path)"))
        }
        let result = provider.http.send(
            OutboundRequest(url: url, method: "GET", headers: provider.headers), timeout: provider.timeouts)
        return try page(result, action: action)
    }

    func page(_ result: OutboundResult, action: String) throws -> Page {
        guard let status = result.status, (200..<300).contains(status),
            case .array(let rows)? = result.jsonObject?["result"]
        else { throw ServiceNowProvider.failure.apiError(result, action: action).lookupOnly }
        return Page(rows: rows, next: try nextPage(result.header("link"), action: action))
    }

    /// The `rel="next"` URL as a path and query relative to the base URL. A next page on another scheme, host or
    /// port, or outside the base URL's path, is never followed: the sweep fails and says so (reading on from the
    /// first page would skip the rest, silently).
    func nextPage(_ header: String?, action: String) throws -> String? {
        guard let header, let target = Self.linkTarget(header, rel: "next") else { return nil }
        let base = URLComponents(url: provider.baseURL, resolvingAgainstBaseURL: false)
        let basePath =
            base.map {
                $0.percentEncodedPath.hasSuffix("/") ? String($0.percentEncodedPath.dropLast()) : $0.percentEncodedPath
            } ?? ""
        guard let url = URLComponents(string: target), let base, Self.sameOrigin(url, base),
            url.percentEncodedPath.hasPrefix(basePath + "/")
        else {
            let host = URLComponents(string: target)?.host ?? "an unreadable URL"
            throw TrackerError(
                tracker: "ServiceNow", action: action,
                reason: .failed("its next page is on \(host), not on the connection's base URL; not followed"))
        }
        let path = String(url.percentEncodedPath.dropFirst(basePath.count))
        return path + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// The target of the first link with relation `rel` in an RFC 8288 `Link` header
    /// (`<url>;rel="first",<url>;rel="next"`); URLs are read between their angle brackets, so commas in them are safe.
    static func linkTarget(_ header: String, rel: String) -> String? {
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let target = rest[rest.index(after: open)..<close]
            let after = rest[rest.index(after: close)...]
            let end = after.firstIndex(of: "<") ?? after.endIndex
            for parameter in after[..<end].split(separator: ";") {
                let pair = parameter.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t,\""))
                }
                guard pair.count == 2, pair.first?.lowercased() == "rel", let values = pair.last else { continue }
                if values.lowercased().split(separator: " ").contains(Substring(rel.lowercased())) {
                    return String(target)
                }
            }
            rest = after[end...]
        }
        return nil
    }

    static func sameOrigin(_ url: URLComponents, _ base: URLComponents) -> Bool {
        func port(_ components: URLComponents) -> Int? {
            components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        }
        return url.scheme?.lowercased() == base.scheme?.lowercased()
            && url.host?.lowercased() == base.host?.lowercased()
            && url.host != nil && port(url) == port(base)
    }

    /// Epoch milliseconds as an encoded query's date-time: `yyyy-MM-dd HH:mm:ss` in UTC, the second rounded down.
    static func glideTime(_ milliseconds: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let date = Date(timeIntervalSince1970: Double(max(milliseconds, 0) / 1000))
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1,
            parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }
}
