import Foundation
import Testing

@testable import TicketSync

@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct TokenLifecycleTests {
    @Test func anExpiredTokenFindsNoOneAndAnotherKeepsWorking() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let auth = AuthStore(db: db)
        let lasting = try auth.issueToken(userID: UserID(org.adminID), name: "lasting", lifetime: 3600)
        let expiring = try auth.issueToken(userID: UserID(org.adminID), name: "expiring", lifetime: 3600)
        #expect(try auth.principal(token: expiring, org: org.id)?.tokenExpiresAt != nil)
        try db.query(
            "UPDATE ticket_sync.api_tokens SET expires_at = now() - interval '1 second' WHERE token_sha256 = decode($1, 'hex')",
            [APIToken.digestHex(expiring)])
        #expect(try auth.principal(token: expiring, org: org.id) == nil)
        #expect(try auth.principal(token: lasting, org: org.id)?.permission == .configure)
        #expect(try auth.principal(token: org.adminToken, org: org.id)?.tokenExpiresAt == nil)
        let states = try auth.tokens(email: "admin-\(org.id)@test.example").map { "\($0.name):\($0.state)" }
        #expect(Set(states) == ["lasting:active", "expiring:expired", "test:active"])
    }

    @Test func anExistingUsersNameIsNeverChanged() throws {
        let db = try TestDatabase.connect()
        let auth = AuthStore(db: db)
        let email = "keep-\(UUID().uuidString.lowercased())@test.example"
        let id = try auth.ensureUser(email: email, displayName: "Original Name")
        #expect(try auth.ensureUser(email: email, displayName: "Another Name") == id)
        #expect(try auth.ensureUser(email: email, displayName: nil) == id)
        let name = try db.query("SELECT display_name FROM users WHERE id = $1", [id]).single("user")
        #expect(name.string("display_name") == "Original Name")
    }

    @Test func useIsRecordedAtMostOnceAMinuteAndRevokeIsByID() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let auth = AuthStore(db: db)
        let principal = try #require(try auth.principal(token: org.readerToken, org: org.id))
        #expect(principal.tokenUseIsStale)
        try auth.recordUse(tokenID: principal.tokenID)
        let first = try db.query(
            "SELECT last_used_at::text AS at FROM ticket_sync.api_tokens WHERE id = $1",
            [
                principal.tokenID.rawValue
            ]
        ).single("token").string("at")
        try auth.recordUse(tokenID: principal.tokenID)
        let second = try db.query(
            "SELECT last_used_at::text AS at FROM ticket_sync.api_tokens WHERE id = $1",
            [
                principal.tokenID.rawValue
            ]
        ).single("token").string("at")
        #expect(!first.isEmpty && first == second, "a second use within the minute writes nothing")
        #expect(try auth.principal(token: org.readerToken, org: org.id)?.tokenUseIsStale == false)
        #expect(try auth.revoke(tokenID: principal.tokenID))
        #expect(try !auth.revoke(tokenID: principal.tokenID), "already revoked")
        #expect(try auth.principal(token: org.readerToken, org: org.id) == nil)
    }
}
