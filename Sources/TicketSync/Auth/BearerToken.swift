/// Extracts the token from `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750).
public enum BearerToken {
    public static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, let scheme = parts.first, let value = parts.last, scheme.lowercased() == "bearer" else {
            return nil
        }
        var trimmed = value
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        let token = String(trimmed.drop { $0 == " " || $0 == "\t" })
        return APIToken.looksValid(token) ? token : nil
    }
}
