/// Comment times as the database sends them cheaply — `created_at AT TIME ZONE 'UTC'`, printed in ISO DateStyle
/// (`2026-11-30 19:34:10.12`, trailing zeros of the fraction dropped) — turned into the API's fixed-width RFC 3339
/// (`2026-11-30T19:34:10.120000Z`) here instead of by `to_char`, which cost the thread read an eighth of its
/// database time. The ISO text sorts as its time does (a shorter fraction is a prefix), so rows compare as sent.
public enum PGTimestamp {
    /// The SQL for a timestamptz column, read with `apiText`.
    public static func column(_ name: String) -> String { "(\(name) AT TIME ZONE 'UTC')" }

    /// The API's text; anything not in the expected shape is returned as it came (never a trap).
    public static func apiText(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = bytes.count
        guard count >= 19, bytes[10] == UInt8(ascii: " "), bytes[4] == UInt8(ascii: "-"),  // trap-safe: count >= 19
            count == 19 || (count > 20 && count <= 26 && bytes[19] == UInt8(ascii: "."))  // trap-safe: count > 19
        else { return String(decoding: bytes, as: UTF8.self) }
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: 27)
        for index in 0..<19 { out[index] = bytes[index] }
        out[10] = UInt8(ascii: "T")  // trap-safe: 27 bytes
        out[19] = UInt8(ascii: ".")  // trap-safe: 27 bytes
        var source = 20
        while source < count {
            out[source] = bytes[source]
            source += 1
        }
        out[26] = UInt8(ascii: "Z")  // trap-safe: 27 bytes
        return String(decoding: out, as: UTF8.self)
    }

    public static func apiText(_ text: String) -> String {
        var text = text
        return text.withUTF8 { apiText(UnsafeRawBufferPointer($0)) }
    }
}
