/// Extracts the token from `Authorization: Bearer <token>` (RFC 6750): the scheme once (any case), one run of spaces,
/// then one token of the shape API tokens have (`tsk_` and 64 lowercase hex digits), and nothing after it but the
/// blanks a field may end with. Anything else (a tab, a second credential, another scheme, uppercase hex) is no token,
/// answered 401. nginx's per-token rate limit keys on exactly this shape (nginx/ticketsync-limits.conf), so the
/// token it counts is always the one used here.
public enum BearerToken {
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// Read as bytes (this runs for every API request).
    public static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        var bytes = header.utf8[...]
        while let last = bytes.last, last == space || last == tab { bytes = bytes.dropLast() }
        let scheme = "bearer".utf8
        guard bytes.starts(with: scheme, by: { $0 | 0x20 == $1 }) else { return nil }
        let afterScheme = bytes.dropFirst(scheme.count)
        guard afterScheme.first == space else { return nil }
        let token = afterScheme.drop { $0 == space }
        guard isWellFormed(token) else { return nil }
        return String(Substring(token))
    }

    /// `tsk_` and 64 lowercase hex digits, as `APIToken.generate` makes them.
    private static func isWellFormed(_ token: Substring.UTF8View) -> Bool {
        guard token.count == APIToken.prefix.utf8.count + 64, token.starts(with: APIToken.prefix.utf8) else {
            return false
        }
        return token.dropFirst(APIToken.prefix.utf8.count).allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }
}
