import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct JSONValueTests {
    @Test func writesCompactSortedKeys() {
        let value = JSONValue.object(["b": .int(1), "a": .array([.null, .bool(true)]), "B": .string("x")])
        #expect(value.text == #"{"B":"x","a":[null,true],"b":1}"#)
    }

    @Test func escapesOnlyWhatJSONRequires() {
        let value = JSONValue.string("a/b \"q\" \\ \n\t\u{01} é")
        #expect(value.text == #""a/b \"q\" \\ \n\t\u0001 é""#)
    }

    @Test func roundTripsThroughTheParser() throws {
        let value = JSONValue.object(["body": .string("line1\nline2 😀"), "n": .int(42), "list": .array([.string("x")])])
        let parsed = try JSONParser.parse(value.serialized())
        #expect(
            parsed == .object(["body": .string("line1\nline2 😀"), "n": .number(42), "list": .array([.string("x")])]))
    }

    @Test func writesWholeNumbersWithoutFraction() {
        #expect(JSONValue.number(3).text == "3")
        #expect(JSONValue.number(2.5).text == "2.5")
    }
}

/// The escaping scan skips eight plain bytes at a time; it must escape exactly what a byte-by-byte writer does.
struct JSONEscapeScanTests {
    static func reference(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", Int(byte)).utf8)
            default: out.append(byte)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }

    @Test func everyPositionAndLengthMatchesTheByteByByteWriter() {
        let pieces = ["a", "\"", "\\", "\n", "\u{01}", "\u{1f}", " ", "é", "😀", "~", "\u{7f}", "/"]
        var generator = SystemRandomNumberGenerator()
        for length in 0..<48 {
            for _ in 0..<40 {
                let text = (0..<length).map { _ in pieces.randomElement(using: &generator) ?? "a" }.joined()
                var written: [UInt8] = []
                JSONValue.writeString(text, into: &written)
                #expect(written == Self.reference(text), "\(text.debugDescription)")
            }
        }
    }

    @Test func aPlainRunLongerThanAWordIsCopiedWhole() {
        let text = String(repeating: "plain text, no escapes ", count: 10) + "\"end\""
        var written: [UInt8] = []
        JSONValue.writeString(text, into: &written)
        #expect(written == Self.reference(text))
    }
}
