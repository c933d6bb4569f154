import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Log lines: one per call whatever the input, the request id on each, text or JSON.
@Suite(.serialized) struct ServerLogTests {
    @Test func textEscapesControlCharactersSoNoInputForgesALine() {
        ServerLog.format = .text
        let line = String(
            decoding: ServerLog.render(
                level: "request", message: "GET /a\nticketsync error: forged\r\u{1b}[31m\\ 404", requestID: "abc123"),
            as: UTF8.self)
        #expect(line == "ticketsync request: GET /a\\nticketsync error: forged\\r\\x1b[31m\\\\ 404 request_id=abc123\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func jsonIsOneObjectPerLineWithTheRequestID() throws {
        ServerLog.format = .json
        defer { ServerLog.format = .text }
        let bytes = ServerLog.render(
            level: "request", message: "GET /x\n\"y\" 200", requestID: "rid-1", fields: ["status": .int(200)])
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        let object = try JSONParser.parse(Array(bytes.dropLast()))
        #expect(object["message"]?.stringValue == "GET /x\n\"y\" 200")
        #expect(object["request_id"]?.stringValue == "rid-1")
        #expect(object["level"]?.stringValue == "request")
        #expect(object["status"] == .number(200) || object["status"] == .int(200))
    }

    @Test func linesOutsideARequestHaveNoID() {
        ServerLog.format = .text
        #expect(
            String(decoding: ServerLog.render(level: "info", message: "ready", requestID: nil), as: UTF8.self)
                == "ticketsync info: ready\n")
    }

    @Test(arguments: ["0123456789abcdef0123456789abcdef", "lb-1.req_2:3"])
    func wellFormedIDs(id: String) { #expect(RequestID.isWellFormed(id)) }

    @Test(arguments: ["", "has space", "new\nline", "quote\"", String(repeating: "a", count: 129), "é"])
    func malformedIDs(id: String) { #expect(!RequestID.isWellFormed(id)) }

    @Test func generatedIDsLookLikeNginxs() {
        let id = RequestID.generate()
        #expect(id.utf8.count == 32 && RequestID.isWellFormed(id) && id != RequestID.generate())
    }
}
