import Testing

@testable import TicketSync

/// Comments are written straight to bytes; they must equal what the general writer makes of the same members.
@Suite struct CommentJSONTests {
    func tree(_ comment: TicketSync.Comment) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .int(comment.id), "source": .string(comment.source.rawValue), "author": .string(comment.author),
            "body": .string(comment.body), "external_comment_id": .optional(comment.externalCommentID),
            "created_at": .string(comment.createdAt),
        ]
        if comment.source == .internal {
            members["sync_state"] = .optional(comment.syncState)
            if comment.syncState == "error" { members["last_error"] = .optional(comment.lastError) }
        }
        return .object(members)
    }

    @Test(arguments: [
        TicketSync.Comment(
            id: 1, source: .internal, author: "Zoë", body: "a \"quoted\"\nline/with \\ slashes", externalCommentID: nil,
            syncState: nil, lastError: nil, createdAt: "2026-01-01T00:00:00.000000Z"),
        TicketSync.Comment(
            id: 2, source: .internal, author: "A", body: "b", externalCommentID: "x-1", syncState: "synced",
            lastError: nil, createdAt: "t"),
        TicketSync.Comment(
            id: 3, source: .internal, author: "A", body: "b", externalCommentID: nil, syncState: "error",
            lastError: "HTTP 410 Gone", createdAt: "t"),
        TicketSync.Comment(
            id: 4, source: .external, author: "Jane (ext)", body: "\u{01}😀", externalCommentID: "ext-42",
            syncState: nil, lastError: nil, createdAt: "t"),
    ])
    func sameBytesAsTheGeneralWriter(_ comment: TicketSync.Comment) throws {
        #expect(comment.json.serialized() == tree(comment).serialized())
        #expect(try JSONParser.parse(comment.json.serialized())["id"] == .number(Double(comment.id)))
    }
}

/// A thread page is written straight from libpq's bytes; it must equal what `Comment.json` makes of the same rows.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct CommentRowsTests {
    @Test func rowBytesMakeTheSameJSONAsDecodedComments() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let comments = CommentStore(db: db)
        _ = try comments.insertInternal(
            org: org.id, request: org.requestID, authorID: org.adminID, author: "Zoë \"Q\"",
            body: "line\nwith \\ and \u{01} and 😀", syncState: nil)
        let pushed = try comments.insertInternal(
            org: org.id, request: org.requestID, authorID: org.adminID, author: "A", body: "b", syncState: "pending")
        try comments.markFailed(org: org.id, id: pushed.id, reason: "HTTP 410 Gone")
        _ = try comments.insertExternal(
            org: org.id, request: org.requestID, author: "Jane (ext)", body: "reply", externalCommentID: "ext-1")
        let rows = try db.query(
            "SELECT \(CommentStore.columns) FROM ticket_sync.comments WHERE org_id = $1 ORDER BY id", [org.id]
        ).all
        let page = CommentRows(rows)
        #expect(page.count == 3)
        for (index, row) in rows.enumerated() {
            #expect(page.json(index).serialized() == (try CommentStore.decode(row)).json.serialized())
        }
        #expect(page.precedes(0, 1) && !page.precedes(1, 0))
        #expect(page.position(2).id == (try CommentStore.decode(rows[2])).id)
    }
}
