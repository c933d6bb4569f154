import TicketSyncPlatform

/// One entry of an evidence request's thread: written here (`internal`), arrived from the ticket (`external`), or
/// recorded by Ticket Sync itself (`system`: the tracker's status changes; never pushed out).
public struct Comment: Sendable, Equatable {
    public enum Source: String, Sendable { case `internal`, external, system }

    /// Whether an internal comment reached the ticket: pushed (`synced`), queued (`pending`), or refused (`error`).
    public enum SyncState: String, Sendable { case synced, pending, error }

    public var id: Int
    public var source: Source
    public var author: String
    public var body: String
    public var externalCommentID: String?
    /// For internal comments, once a ticket is linked; nil when there was nothing to push to.
    public var syncState: SyncState?
    public var lastError: String?
    public var createdAt: String

    /// The stable external id given to a pushed comment when the provider reports none.
    public static func mintedExternalID(_ id: Int) -> String { "ticketsync-comment-\(id)" }

    /// The longest comment body accepted, in characters.
    public static let maxBodyLength = 10_000

    public var json: JSONValue {
        Self.json(
            author: .string(author), body: .string(body), createdAt: .string(createdAt),
            externalCommentID: externalCommentID.map(JSONText.string), id: .string(String(id)),
            lastError: lastError.map(JSONText.string), source: source,
            syncState: syncState)
    }

    /// The one place the comment's JSON is shaped, for a `Comment` and for a row read straight from libpq alike.
    /// Keys in byte order (see `JSONObjectWriter`): author, body, created_at, external_comment_id, id, last_error,
    /// source, sync_state. `sync_state` only for internal comments; `last_error` when in error, or when a push was
    /// cancelled (the ticket was unlinked before it went out).
    static func json(
        author: JSONText, body: JSONText, createdAt: JSONText, externalCommentID: JSONText?, id: JSONText,
        lastError: JSONText?, source: Source, syncState: SyncState?
    ) -> JSONValue {
        let isInternal = source == .internal
        var writer = JSONObjectWriter()
        writer.field("author", author)
        writer.field("body", body)
        writer.field("created_at", createdAt)
        writer.field("external_comment_id", externalCommentID)
        writer.field("id", number: id)
        if isInternal && (syncState == .error || (syncState == nil && lastError != nil)) {
            writer.field("last_error", lastError)
        }
        writer.field("source", source.rawValue)
        if isInternal { writer.field("sync_state", syncState?.rawValue) }
        return writer.finish()
    }
}
