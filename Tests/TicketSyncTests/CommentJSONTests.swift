import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Comments are written straight to bytes; they must equal what the general writer makes of the same members.
@Suite struct CommentJSONTests {
    func tree(_ comment: TicketSync.Comment) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .int(comment.id), "source": .string(comment.source.rawValue), "author": .string(comment.author),
            "body": .string(comment.body), "external_comment_id": .optional(comment.externalCommentID),
            "created_at": .string(comment.createdAt),
        ]
        if comment.source == .internal {
            members["sync_state"] = .optional(comment.syncState?.rawValue)
            if comment.syncState == .error { members["last_error"] = .optional(comment.lastError) }
        }
        return .object(members)
    }

    @Test(arguments: [
        TicketSync.Comment(
            id: 1, source: .internal, author: "Zoë", body: "a \"quoted\"\nline/with \\ slashes", externalCommentID: nil,
            syncState: nil, lastError: nil, createdAt: "2026-01-01T00:00:00.000000Z"),
        TicketSync.Comment(
            id: 2, source: .internal, author: "A", body: "b", externalCommentID: "x-1", syncState: .synced,
            lastError: nil, createdAt: "t"),
        TicketSync.Comment(
            id: 3, source: .internal, author: "A", body: "b", externalCommentID: nil, syncState: .error,
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
