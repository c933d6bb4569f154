/// One entry of an evidence request's thread: written here (`internal`) or arrived from the ticket (`external`).
public struct Comment: Sendable, Equatable {
    public enum Source: String, Sendable { case `internal`, external }

    public var id: Int
    public var source: Source
    public var author: String
    public var body: String
    public var externalCommentID: String?
    /// For internal comments: `synced`, `pending` or `error` once a ticket is linked; nil when there was nothing to push to.
    public var syncState: String?
    public var lastError: String?
    public var createdAt: String

    /// The stable external id given to a pushed comment when the provider reports none.
    public static func mintedExternalID(_ id: Int) -> String { "ticketsync-comment-\(id)" }

    /// The longest comment body accepted, in characters.
    public static let maxBodyLength = 10_000

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .int(id),
            "source": .string(source.rawValue),
            "author": .string(author),
            "body": .string(body),
            "external_comment_id": .optional(externalCommentID),
            "created_at": .string(createdAt),
        ]
        if source == .internal {
            members["sync_state"] = .optional(syncState)
            if syncState == "error" { members["last_error"] = .optional(lastError) }
        }
        return .object(members)
    }
}
