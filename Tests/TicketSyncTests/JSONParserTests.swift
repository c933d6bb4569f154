import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParser.Failure) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesObjectsArraysAndScalars() throws {
        let value = try parse(#" {"a": [1, -2.5e1, true, false, null], "b": {"c": "d"}} "#)
        #expect(
            value
                == .object([
                    "a": .array([.number(1), .number(-25), .bool(true), .bool(false), .null]),
                    "b": .object(["c": .string("d")]),
                ]))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"\\\/\n\u00e9\ud83d\ude00""#) == .string("a\"\\/\né😀"))
    }

    @Test(arguments: [
        "", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"\\x\"", "\"\\ud800\"",
        "{} {}", "\"a\u{01}b\"", "{'a':1}",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try parse(text) }
    }

    @Test func rejectsDuplicateKeys() {
        #expect(throws: JSONParser.Failure.self) { try parse(#"{"body":"a","body":"b"}"#) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xff, 0xfe, 0x22]) }
    }

    @Test func limitsNesting() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try parse(ok)
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try parse(deep) }
    }
}
