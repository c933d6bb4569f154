import Glibc
import TicketSyncPlatform

/// A page of a thread as libpq returned it (`CommentStore.columns`), written to JSON straight from the result's bytes:
/// no `Comment`, no `String` per value. Columns are looked up once for the page.
struct CommentRows {
    let rows: [PGRow]
    private let id: Int32?
    private let source: Int32?
    private let author: Int32?
    private let body: Int32?
    private let external: Int32?
    private let syncState: Int32?
    private let lastError: Int32?
    private let createdAt: Int32?

    init(_ rows: [PGRow]) {
        self.rows = rows
        let first = rows.first
        id = first?.column("id")
        source = first?.column("source")
        author = first?.column("author")
        body = first?.column("body")
        external = first?.column("external_comment_id")
        syncState = first?.column("sync_state")
        lastError = first?.column("last_error")
        createdAt = first?.column("created_at")
    }

    var count: Int { rows.count }

    private func text(_ row: Int, _ column: Int32?) -> JSONText? { JSONText(rows[row].bytes(at: column)) }

    /// A row's JSON; a stored source or sync state that does not parse throws `StoredValueError`.
    func json(_ row: Int) throws -> JSONValue {
        try Comment.json(
            author: text(row, author) ?? .string(""), body: text(row, body) ?? .string(""),
            createdAt: .string(createdAtText(row)), externalCommentID: text(row, external),
            id: text(row, id) ?? .string("0"), lastError: text(row, lastError),
            source: Self.source(text(row, source)), syncState: Self.syncState(text(row, syncState)))
    }

    private static func source(_ text: JSONText?) throws -> Comment.Source {
        if text?.equals("internal") == true { return .internal }
        if text?.equals("external") == true { return .external }
        if text?.equals("system") == true { return .system }
        throw StoredValueError("source", text?.text ?? "")
    }

    /// Null is nil (nothing to push to); any other value must be a state.
    private static func syncState(_ text: JSONText?) throws -> Comment.SyncState? {
        guard let text else { return nil }
        if text.equals("synced") { return .synced }
        if text.equals("pending") { return .pending }
        if text.equals("error") { return .error }
        throw StoredValueError("sync_state", text.text)
    }

    func position(_ row: Int) -> ThreadPosition {
        ThreadPosition(createdAt: createdAtText(row), id: rows[row].value(at: id).flatMap { Int($0) } ?? 0)
    }

    /// The API's form of the row's created_at (see `PGTimestamp`).
    private func createdAtText(_ row: Int) -> String {
        rows[row].bytes(at: createdAt).map(PGTimestamp.apiText) ?? ""
    }

    /// Thread order: (created_at, id), comparing created_at as sent (its ISO text sorts as its time does).
    func precedes(_ a: Int, _ b: Int) -> Bool {
        let first = rows[a].bytes(at: createdAt)
        let second = rows[b].bytes(at: createdAt)
        let shorter = min(first?.count ?? 0, second?.count ?? 0)
        if shorter > 0, let left = first?.baseAddress, let right = second?.baseAddress {
            let order = memcmp(left, right, shorter)
            if order != 0 { return order < 0 }
        }
        if first?.count != second?.count { return (first?.count ?? 0) < (second?.count ?? 0) }
        return position(a).id < position(b).id
    }
}
