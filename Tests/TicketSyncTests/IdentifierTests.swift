import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Ids are types of their own in Swift and plain strings on the wire.
struct IdentifierTests {
    private let link = TicketLink(
        id: "5b0d3c1e-0000-4000-8000-000000000001", orgID: "11111111-1111-4111-8111-111111111111",
        evidenceRequestID: "22222222-2222-4222-8222-222222222222", provider: "webhook",
        connectionID: "33333333-3333-4333-8333-333333333333", externalID: "ADAPT-7", externalURL: nil,
        syncState: .synced, lastError: nil, createdAt: "t", updatedAt: "t", closedAt: nil)

    @Test func aLinksIdsAreWrittenAsPlainStrings() throws {
        let json = link.json
        #expect(json["evidence_request_id"] == .string("22222222-2222-4222-8222-222222222222"))
        #expect(json["connection_id"] == .string("33333333-3333-4333-8333-333333333333"))
        #expect(json["external_id"] == .string("ADAPT-7"))
        let parsed = try JSONParser.parse(json.serialized())
        #expect(parsed["evidence_request_id"]?.stringValue.map { EvidenceRequestID($0) } == link.evidenceRequestID)
        #expect(parsed["external_id"]?.stringValue.map { ExternalTicketID($0) } == link.externalID)
    }

    @Test func anIdRoundTripsThroughCodableAsAString() throws {
        let ids = ["org": OrgID("11111111-1111-4111-8111-111111111111")]
        let data = try JSONEncoder().encode(ids)
        #expect(String(decoding: data, as: UTF8.self) == #"{"org":"11111111-1111-4111-8111-111111111111"}"#)
        #expect(try JSONDecoder().decode([String: OrgID].self, from: data) == ids)
    }

    @Test func anIdReadsAsItsText() {
        let id: TicketLinkID = "abc"
        #expect(id.rawValue == "abc" && id.description == "abc" && "\(id)" == "abc")
        #expect(TicketLinkID("a") < TicketLinkID("b"))
        #expect(JSONValue.optional(nil as ConnectionID?) == .null)
    }
}
