import Testing

@testable import TicketSync

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
