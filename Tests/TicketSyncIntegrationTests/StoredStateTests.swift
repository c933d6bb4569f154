import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// A comment's sync state and a request's status are parsed when read: a stored value that does not parse is a
/// `StoredValueError` naming its column, never a default. The tables' CHECKs keep such values out, so the rows are
/// made by a SELECT shaped like the stores' own.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct StoredStateTests {
    private func commentRow(_ db: PGConnection, source: String, syncState: String?) throws -> [PGRow] {
        try db.query(
            """
            SELECT 1::bigint AS id, $1::text AS source, 'A' AS author, 'b' AS body, NULL::text AS external_comment_id,
                   $2::text AS sync_state, NULL::text AS last_error, '2026-01-01 00:00:00+00'::timestamptz AS created_at
            """, [source, syncState]
        ).all
    }

    @Test func aCommentSyncStateThatDoesNotParseIsAnError() throws {
        let db = try TestDatabase.connect()
        let rows = try commentRow(db, source: "internal", syncState: "sent")
        let row = try #require(rows.first)
        #expect(throws: StoredValueError.self) { try CommentStore.decode(row) }
        #expect(throws: StoredValueError.self) { try CommentRows(rows).json(0) }
        let unknownSource = try commentRow(db, source: "imported", syncState: nil)
        #expect(throws: StoredValueError.self) { try CommentRows(unknownSource).json(0) }
    }

    @Test func aKnownSyncStateAndNullAreRead() throws {
        let db = try TestDatabase.connect()
        let pending = try #require(try commentRow(db, source: "internal", syncState: "pending").first)
        #expect(try CommentStore.decode(pending).syncState == .pending)
        let none = try #require(try commentRow(db, source: "internal", syncState: nil).first)
        #expect(try CommentStore.decode(none).syncState == nil)
    }

    @Test func aRequestStatusThatDoesNotParseIsAnError() throws {
        let db = try TestDatabase.connect()
        func row(_ status: String) throws -> PGRow {
            try #require(
                try db.query(
                    "SELECT 'r' AS id, 'o' AS org_id, 't' AS title, '' AS description, $1::text AS status", [status]
                ).first)
        }
        #expect(throws: StoredValueError.self) { try EvidenceRequestStore.decode(row("archived")) }
        #expect(try EvidenceRequestStore.decode(row("in_progress")).status == .inProgress)
    }
}
