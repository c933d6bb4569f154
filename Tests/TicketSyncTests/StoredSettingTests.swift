import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// A connection's stored status map is validated when written; one that no longer parses is a corrupt row, an error,
/// never the default map in its place.
struct StoredSettingTests {
    private func connection(_ settings: [String: String]) -> Connection {
        Connection(
            id: "c1", orgID: "org-a", kind: .webhook, name: "Adapter", settings: settings, secrets: [:],
            isDefault: false, disabled: false, createdAt: "", updatedAt: "")
    }

    @Test func aStoredStatusMapThatDoesNotParseIsAnError() throws {
        #expect(throws: StoredValueError.self) { try connection(["status_map": "done=finished"]).statusMap }
        #expect(try connection([:]).statusMap == .standard)
        #expect(try connection(["status_map": "off"]).statusMap == .off)
    }
}
