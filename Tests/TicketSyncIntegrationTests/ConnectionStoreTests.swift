import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Org connections (`ConnectionStore`): create, find, update and delete, each scoped by org.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct ConnectionStoreTests {
    func insert(_ store: ConnectionStore, org: String, name: String, isDefault: Bool = true) throws -> String {
        let id = UUID().uuidString.lowercased()
        try store.insert(
            id: id, org: org, kind: .webhook, name: name, settings: ["url": "https://adapter.example/hook"],
            isDefault: isDefault, createdBy: nil, inboundToken: UUID().uuidString)
        return id
    }

    @Test func createFindUpdateDeleteWithinTheOrg() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let store = ConnectionStore(db: db)
        let first = try insert(store, org: org.id, name: "Adapter A")
        let found = try #require(try store.find(org: org.id, id: first))
        #expect(found.name == "Adapter A" && found.kind == .webhook && found.isDefault)
        #expect(found.effectiveSettings["url"] == "https://adapter.example/hook")

        // A second default replaces the first.
        let second = try insert(store, org: org.id, name: "Adapter B")
        #expect(
            try store.list(org: org.id).map { "\($0.name):\($0.isDefault)" } == [
                "Adapter A:false", "Adapter B:true",
            ])

        #expect(
            try store.update(
                org: org.id, id: first, name: "Renamed", settings: nil, isDefault: nil, disabled: true))
        let updated = try #require(try store.find(org: org.id, id: first))
        #expect(updated.name == "Renamed" && updated.disabled)
        #expect(updated.effectiveSettings["url"] == "https://adapter.example/hook")

        guard case .deleted = try store.delete(org: org.id, id: second) else {
            Issue.record("not deleted")
            return
        }
        #expect(try store.find(org: org.id, id: second) == nil)
        #expect(try store.list(org: org.id).map(\.id.rawValue) == [first])
        guard case .notFound = try store.delete(org: org.id, id: second) else {
            Issue.record("deleted twice")
            return
        }
    }

    /// Another org's connection is not found, not changed and not deleted, exactly like a missing one.
    @Test func anotherOrgsConnectionIsNotFound() throws {
        let db = try TestDatabase.connect()
        let mine = try TestDatabase.makeOrg(db)
        let theirs = try TestDatabase.makeOrg(db)
        let store = ConnectionStore(db: db)
        let id = try insert(store, org: mine.id, name: "Mine")
        #expect(try store.find(org: theirs.id, id: id) == nil)
        #expect(try store.list(org: theirs.id).isEmpty)
        #expect(
            try store.update(org: theirs.id, id: id, name: "Taken", settings: nil, isDefault: nil, disabled: nil)
                == false)
        guard case .notFound = try store.delete(org: theirs.id, id: id) else {
            Issue.record("another org deleted it")
            return
        }
        #expect(try store.find(org: mine.id, id: id)?.name == "Mine")
        // A create naming it from the other org is refused as not found.
        let t = try RecordingTracker()
        let error = try #require(throws: APIError.self) {
            try t.actions().createTicket(org: t.org.orgID, request: t.request, connectionID: ConnectionID(id))
        }
        #expect(error.status == 404 && error.problem.slug == "not-found")
        #expect(t.http.sent.isEmpty)
    }

    /// A connection an active link uses cannot be deleted.
    @Test func aConnectionInUseIsNotDeleted() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let store = ConnectionStore(db: db)
        let id = try insert(store, org: org.id, name: "Used")
        _ = try TicketLinkStore(db: db).insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "webhook", externalID: "wh-used-\(org.id)", externalURL: nil),
            connectionID: ConnectionID(id))
        guard case .inUse(1) = try store.delete(org: org.id, id: id) else {
            Issue.record("deleted while in use")
            return
        }
        #expect(try store.find(org: org.id, id: id) != nil)
    }
}
