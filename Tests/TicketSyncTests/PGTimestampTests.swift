import Testing

@testable import TicketSync

struct PGTimestampTests {
    @Test(arguments: [
        ("2026-11-30 19:34:10.123456", "2026-11-30T19:34:10.123456Z"),
        ("2026-11-30 19:34:10.12", "2026-11-30T19:34:10.120000Z"),
        ("2026-11-30 19:34:10.1", "2026-11-30T19:34:10.100000Z"),
        ("2026-11-30 19:34:10", "2026-11-30T19:34:10.000000Z"),
    ])
    func isoTextBecomesTheAPIsFixedWidth(sent: String, api: String) {
        #expect(PGTimestamp.apiText(sent) == api)
    }

    @Test(arguments: ["", "garbage", "2026-11-30T19:34:10Z", "2026-11-30 19:34:10.1234567", "2026-11-30 19:34:10,5"])
    func anythingElseComesBackAsItWas(sent: String) {
        #expect(PGTimestamp.apiText(sent) == sent)
    }
}

/// The database's own text must be what `PGTimestamp` expects, whatever the fraction.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct PGTimestampDatabaseTests {
    @Test func theSessionsTextConvertsLikeToChar() throws {
        let db = try TestDatabase.connect()
        let rows = try db.query(
            """
            SELECT \(PGTimestamp.column("t")) AS sent, \(SQLFragments.timestamp("t")) AS expected
            FROM unnest(ARRAY['2026-11-30 19:34:10.123456+00', '2026-11-30 19:34:10.1+02', '2026-01-01 00:00:00+00',
                              '2026-06-30 23:59:59.999999-07']::timestamptz[]) AS t
            """
        ).all
        #expect(rows.count == 4)
        for row in rows { #expect(PGTimestamp.apiText(row.string("sent")) == row.string("expected")) }
    }
}
