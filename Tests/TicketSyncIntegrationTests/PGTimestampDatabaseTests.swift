import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

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

/// A cursor's time reaches a `::timestamptz` parameter only when it is one the API could have written.
struct PGTimestampParseTests {
    @Test(arguments: [
        "2026-11-30T19:34:10.123456Z", "2024-02-29T00:00:00.000000Z", "2000-02-29T23:59:59.999999Z",
        "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z",
    ])
    func realTimesPass(text: String) {
        #expect(PGTimestamp.isAPIText(text))
    }

    @Test(arguments: [
        "9999-99-99T99:99:99.999999Z",  // the issue's forged cursor: every field out of range
        "2026-13-01T00:00:00.000000Z", "2026-00-10T00:00:00.000000Z", "2026-01-00T00:00:00.000000Z",
        "2026-04-31T00:00:00.000000Z", "2026-02-29T00:00:00.000000Z", "1900-02-29T00:00:00.000000Z",
        "2026-01-01T24:00:00.000000Z", "2026-01-01T00:60:00.000000Z", "2026-01-01T00:00:60.000000Z",
        "0000-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.00000aZ", "2026-01-01T00:00:00.0000000",
        "2026-01-01 00:00:00.000000Z", "2026-01-01T00:00:00,000000Z", "2026-01-01T00:00:00.000000+",
        "-026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00Z", "", "２026-01-01T00:00:00.00000Z",
    ])
    func impossibleOrMisshapenTimesFail(text: String) {
        #expect(!PGTimestamp.isAPIText(text))
    }
}
