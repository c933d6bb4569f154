import Testing

@testable import TicketSync

/// A thread page is written straight from libpq's bytes; it must equal what `Comment.json` makes of the same rows.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct CommentRowsTests {
    @Test func rowBytesMakeTheSameJSONAsDecodedComments() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let comments = CommentStore(db: db)
        _ = try comments.insertInternal(
            org: org.orgID, request: org.evidenceRequestID, authorID: org.adminID,
            author: "Zoë \"Q\"",
            body: "line\nwith \\ and \u{01} and 😀", syncState: nil)
        let pushed = try comments.insertInternal(
            org: org.orgID, request: org.evidenceRequestID, authorID: org.adminID, author: "A",
            body: "b", syncState: .pending)
        try comments.markFailed(org: org.orgID, id: pushed.id, reason: "HTTP 410 Gone")
        _ = try comments.insertExternal(
            org: org.orgID, request: org.evidenceRequestID, author: "Jane (ext)", body: "reply",
            externalCommentID: "ext-1")
        let rows = try db.query(
            "SELECT \(CommentStore.columns) FROM ticket_sync.comments WHERE org_id = $1 ORDER BY id", [org.id]
        ).all
        let page = CommentRows(rows)
        #expect(page.count == 3)
        for (index, row) in rows.enumerated() {
            #expect(try page.json(index).serialized() == (try CommentStore.decode(row)).json.serialized())
        }
        #expect(page.precedes(0, 1) && !page.precedes(1, 0))
        #expect(page.position(2).id == (try CommentStore.decode(rows[2])).id)
    }
}
