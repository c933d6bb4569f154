import Foundation
import TicketSyncPlatform

/// Where a webhook adapter's sweep endpoint is (docs/webhooks.md, "Sweeps"): `changes` is joined to the webhook URL's
/// path as one more segment (its trailing slashes dropped: `…/hook/` and `…/hook` both give `…/hook/changes`), the
/// URL's own query is kept in front of ours (an adapter authenticated by a `?token=` keeps it), and a fragment is
/// dropped. Our values are percent-encoded except RFC 3986's unreserved characters.
enum WebhookAdapterURL {
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func changes(_ base: URL, query: [(name: String, value: String)]) -> URL? {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else { return nil }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        components.percentEncodedPath = path + "/changes"
        let kept = components.percentEncodedQuery.flatMap { $0.isEmpty ? nil : $0 }
        let ours = query.map { "\(encode($0.name))=\(encode($0.value))" }
        let joined = ([kept].compactMap { $0 } + ours).joined(separator: "&")
        components.percentEncodedQuery = joined.isEmpty ? nil : joined
        components.fragment = nil
        return components.url
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
