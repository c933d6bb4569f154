import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The health view's cursor, and the sync state links and connections carry in their JSON.
struct SyncHealthTests {
    typealias Position = SyncHealthRoutes.Position

    @Test func aPositionTheAPIWroteReadsBack() throws {
        let position = Position(createdAt: "2026-12-04T20:51:02.123456Z", id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        #expect(Position(encoded: position.encoded) == position)
    }

    @Test(arguments: [
        PageQuery.encode(["t": .string("9999-99-99T99:99:99.999999Z"), "i": .string(UUIDs.one)]),
        PageQuery.encode(["t": .string("2026-02-30T10:00:00.000000Z"), "i": .string(UUIDs.one)]),
        PageQuery.encode(["t": .string("2026-01-01T00:00:00.000000Z"), "i": .string("not-a-uuid")]),
        PageQuery.encode(["t": .int(5), "i": .string(UUIDs.one)]),
        PageQuery.encode(["i": .string(UUIDs.one)]),
        Base64URL.encode(JSONValue.array([.int(1)]).serialized()),
        "nope", "",
    ])
    func anyOtherCursorIsRefused(encoded: String) {
        #expect(Position(encoded: encoded) == nil)
    }

    @Test func aLinkSaysWhenTheTrackerLastAgreed() {
        var link = TicketLink(
            id: "5b0d3c1e-0000-4000-8000-000000000001", orgID: "11111111-1111-4111-8111-111111111111",
            evidenceRequestID: "22222222-2222-4222-8222-222222222222", provider: "mock", connectionID: nil,
            externalID: "mock-TCK-1", externalURL: nil, syncState: .synced, lastError: nil, createdAt: "c",
            updatedAt: "u", closedAt: nil)
        #expect(link.json["last_verified_at"] == JSONValue.null)
        link.lastVerifiedAt = "2026-12-04T20:51:02.123456Z"
        #expect(link.json["last_verified_at"] == JSONValue.string("2026-12-04T20:51:02.123456Z"))
    }

    @Test func aConnectionCarriesItsLastSweep() {
        var connection = Connection(
            id: "c1", orgID: "o", kind: .mock, name: "Demo", settings: [:], secrets: [:], isDefault: false,
            disabled: false, createdAt: "", updatedAt: "")
        #expect(connection.json()["last_sweep"] == .null)
        connection.lastSweep = .object(["changes": .int(2), "error": .null])
        #expect(connection.json()["last_sweep"]?["changes"] == .int(2))
    }

    /// The deployment default's row is every org's: its count is withheld and its failure told without the
    /// tracker's words (which may name another org's ticket).
    @Test func theSharedRowHidesOtherOrgsDetail() {
        let shared = SweepState.object("s", shared: true)
        #expect(shared.contains("'changes', NULL::int"))
        #expect(shared.contains(SweepState.sharedError) && !SweepState.sharedError.contains("'"))
        #expect(
            SweepState.object("s").contains("'changes', s.changes")
                && SweepState.object("s").contains("'error', s.error"))
    }

    enum UUIDs {
        static let one = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    }
}
