import Foundation

/// How settings' values are read, for the environment and for connections alike.
extension Settings {
    /// An http(s) URL with a host; nil for anything else (such a key counts as missing).
    static func httpURL(_ text: String?) -> URL? {
        guard let text, let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
            parsed.host != nil
        else { return nil }
        return parsed
    }

    /// A base URL that paths are appended to: an http(s) URL with its trailing slashes removed.
    static func serviceURL(_ text: String?) -> URL? {
        guard var text = httpURL(text)?.absoluteString else { return nil }
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text)
    }

    /// A comma-separated list of secrets (rotation: newest first), blanks dropped.
    static func secrets(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
