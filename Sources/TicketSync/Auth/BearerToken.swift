/// Extracts the token from `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750).
public enum BearerToken {
    /// Read as bytes (this runs for every API request): the scheme, blanks, the token, blanks.
    public static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        let bytes = header.utf8
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
            bytes[..<space].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let value = bytes[bytes.index(after: space)...].drop(while: isBlank)
        guard let last = value.lastIndex(where: { !isBlank($0) }) else { return nil }
        let token = String(Substring(value[...last]))
        return APIToken.looksValid(token) ? token : nil
    }
}
