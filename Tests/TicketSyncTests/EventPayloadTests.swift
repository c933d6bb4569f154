import Foundation
import Testing

@testable import TicketSync

/// The outbound body format is a contract with receivers: pinned byte for byte by golden files.
@Suite struct EventPayloadTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func golden(_ name: String) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        if bytes.last == 0x0A { bytes.removeLast() }  // the file ends with a newline; the body does not
        return bytes
    }

    let comment = Comment(
        id: 42, source: .internal, author: "Zoë Auditor", body: "See https://files.example/a.pdf\n\"quoted\"",
        externalCommentID: nil, syncState: .pending, lastError: nil, createdAt: "2026-01-02T03:04:05.123456Z")

    @Test func commentEventMatchesTheGoldenFile() throws {
        let body = EventPayload.comment(
            eventID: "0b4e7f0e-0000-4000-8000-000000000001", occurredAt: "2026-01-02T03:04:05.200Z",
            externalID: "wh-7", orgID: "11111111-1111-4111-8111-111111111111",
            evidenceRequestID: "aaaaaaaa-0000-4000-8000-000000000001", comment: comment)
        #expect(body.serialized() == (try golden("ticket.comment.json")))
    }

    @Test func createEventMatchesTheGoldenFile() throws {
        let request = EvidenceRequest(
            id: "aaaaaaaa-0000-4000-8000-000000000001", orgID: "11111111-1111-4111-8111-111111111111",
            title: "SOC 2 CC6.1 — access review", description: "Q3 review", status: .open)
        let body = EventPayload.create(
            eventID: "0b4e7f0e-0000-4000-8000-000000000002", occurredAt: "2026-01-02T03:04:05.200Z",
            externalID: "wh-7", request: request, link: nil)
        #expect(body.serialized() == (try golden("ticket.create.json")))
    }

    @Test func closeEventMatchesTheGoldenFile() throws {
        let body = EventPayload.close(
            eventID: "0b4e7f0e-0000-4000-8000-000000000003", occurredAt: "2026-01-02T03:04:05.200Z",
            externalID: "wh-7", orgID: "11111111-1111-4111-8111-111111111111",
            evidenceRequestID: "aaaaaaaa-0000-4000-8000-000000000001",
            closedAt: "2026-01-02T03:04:05.100000Z")
        #expect(body.serialized() == (try golden("ticket.close.json")))
    }
}
