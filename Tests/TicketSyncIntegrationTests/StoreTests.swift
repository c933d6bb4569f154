import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct StoreTests {
    let ticket = CreatedTicket(provider: "mock", externalID: "T-1", externalURL: "https://t.invalid/T-1")

    @Test func twentyConcurrentLinksGiveOneSuccessAndNineteenConflicts() throws {
        let org = try TestDatabase.makeOrg(TestDatabase.connect())
        let results = TestDatabase.concurrently(20) { index in
            try TicketLinkStore(db: TestDatabase.connect()).insert(
                org: org.orgID, request: org.evidenceRequestID,
                ticket: CreatedTicket(provider: "mock", externalID: "C-\(org.id)-\(index)", externalURL: "u"))
        }
        let successes = results.filter { (try? $0.get()) != nil }
        let conflicts = results.filter {
            if case .failure(let error as TicketError) = $0 { return error == .alreadyLinked && error.status == 409 }
            return false
        }
        #expect(successes.count == 1)
        #expect(conflicts.count == 19)
    }

    @Test func unlinkKeepsHistoryAndFreesTheSlot() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let links = TicketLinkStore(db: db)
        _ = try links.insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "mock", externalID: "H-\(org.id)", externalURL: "u"))
        #expect(try links.unlink(org: org.orgID, request: org.evidenceRequestID) != nil)
        #expect(try links.active(org: org.orgID, request: org.evidenceRequestID) == nil)
        #expect(try links.unlink(org: org.orgID, request: org.evidenceRequestID) == nil)
        _ = try links.insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "mock", externalID: "H2-\(org.id)", externalURL: "u"))
        let history = try db.query("SELECT count(*) AS n FROM ticket_sync.ticket_links WHERE org_id = $1", [org.id])
        #expect(history.first?.int("n") == 2)
    }

    @Test func closingTwiceFindsNothingTheSecondTime() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let links = TicketLinkStore(db: db)
        let link = try links.insert(
            org: org.orgID, request: org.evidenceRequestID,
            ticket: CreatedTicket(provider: "mock", externalID: "X-\(org.id)", externalURL: "u"))
        #expect(try links.markClosed(org: org.orgID, id: link.id)?.closedAt != nil)
        #expect(try links.markClosed(org: org.orgID, id: link.id) == nil)
    }

    @Test func anotherOrgSeesNothing() throws {
        let db = try TestDatabase.connect()
        let mine = try TestDatabase.makeOrg(db)
        let theirs = try TestDatabase.makeOrg(db)
        _ = try TicketLinkStore(db: db).insert(
            org: OrgID(mine.id), request: EvidenceRequestID(mine.requestID),
            ticket: CreatedTicket(provider: "mock", externalID: "O-\(mine.id)", externalURL: "u"))
        #expect(
            try EvidenceRequestStore(db: db).find(org: OrgID(theirs.id), id: EvidenceRequestID(mine.requestID)) == nil)
        #expect(
            try EvidenceRequestStore(db: db).find(org: OrgID(mine.id), id: EvidenceRequestID(mine.requestID)) != nil)
        #expect(
            try TicketLinkStore(db: db).active(org: OrgID(theirs.id), request: EvidenceRequestID(mine.requestID)) == nil
        )
        #expect(
            try CommentStore(db: db).thread(org: OrgID(theirs.id), request: EvidenceRequestID(mine.requestID)).isEmpty)
    }

    @Test func aLinkCannotPointAtAnotherOrgsRequest() throws {
        let db = try TestDatabase.connect()
        let mine = try TestDatabase.makeOrg(db)
        let theirs = try TestDatabase.makeOrg(db)
        #expect(throws: PGError.self) {
            try TicketLinkStore(db: db).insert(
                org: OrgID(theirs.id), request: EvidenceRequestID(mine.requestID), ticket: ticket)
        }
    }

    @Test func externalCommentsAreRecordedOnce() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let comments = CommentStore(db: db)
        #expect(
            try comments.insertExternal(
                org: org.orgID, request: org.evidenceRequestID, author: "Jane", body: "hi",
                externalCommentID: "ext-1") != nil)
        #expect(
            try comments.insertExternal(
                org: org.orgID, request: org.evidenceRequestID, author: "Jane", body: "hi",
                externalCommentID: "ext-1") == nil)
        // One of our own pushed comments, replayed by the tracker, is a duplicate too.
        let internalComment = try comments.insertInternal(
            org: org.orgID, request: org.evidenceRequestID, authorID: org.adminID,
            author: "Admin", body: "mine", syncState: .pending)
        _ = try comments.markSynced(org: org.orgID, id: internalComment.id, externalCommentID: "ext-2")
        #expect(
            try comments.insertExternal(
                org: org.orgID, request: org.evidenceRequestID, author: "Bot", body: "mine",
                externalCommentID: "ext-2") == nil)
        #expect(
            try comments.thread(org: org.orgID, request: org.evidenceRequestID).map(
                \.externalCommentID) == ["ext-1", "ext-2"])
    }

    @Test func aProviderIdAlreadyInTheThreadFallsBackToAMintedOne() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let comments = CommentStore(db: db)
        _ = try comments.insertExternal(
            org: org.orgID, request: org.evidenceRequestID, author: "J", body: "first",
            externalCommentID: "c-1")
        let mine = try comments.insertInternal(
            org: org.orgID, request: org.evidenceRequestID, authorID: org.adminID,
            author: "A", body: "mine", syncState: .pending)
        let synced = try comments.markSynced(org: org.orgID, id: mine.id, externalCommentID: "c-1")
        #expect(synced.syncState == .synced)
        #expect(synced.externalCommentID == Comment.mintedExternalID(mine.id))
    }

    @Test func tokensResolveToTheirUserAndPermission() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let auth = AuthStore(db: db)
        #expect(try auth.principal(token: org.adminToken, org: org.id)?.permission == .configure)
        #expect(try auth.principal(token: org.readerToken, org: org.id)?.permission == .read)
        #expect(try auth.principal(token: org.readerToken, org: UUID().uuidString.lowercased())?.permission == nil)
        #expect(try auth.principal(token: APIToken.generate(), org: org.id) == nil)
        let user = try auth.principal(token: org.adminToken, org: nil)!.userID
        try auth.revokeTokens(userID: user, name: "test")
        #expect(try auth.principal(token: org.adminToken, org: org.id) == nil)
    }
}
