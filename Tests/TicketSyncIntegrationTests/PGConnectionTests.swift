import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Prepared statements, pipelines and the round-trip meter against the real PostgreSQL.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct PGConnectionTests {
    static func connect(prepared: Bool) throws -> PGConnection {
        var limits = PGSessionLimits()
        limits.preparedStatements = prepared
        return try PGConnection(conninfo: TestDatabase.url, limits: limits)
    }

    @Test(arguments: [true, false])
    func eachCallIsOneRoundTripAndPreparesOnce(prepared: Bool) throws {
        let db = try Self.connect(prepared: prepared)
        db.meter.reset()
        for value in 1...3 {
            let row = try db.query("SELECT $1::int + 1 AS n", [String(value)]).single("n")
            #expect(row.int("n") == value + 1)
        }
        #expect(db.meter.roundTrips == 3)
        let names = try db.query("SELECT count(*) AS n FROM pg_prepared_statements").single("count").int("n")
        #expect(names == (prepared ? 2 : 0))  // the sum, then the count itself
    }

    @Test(arguments: [true, false])
    func aPipelineIsOneRoundTripAndOneTransaction(prepared: Bool) throws {
        let db = try Self.connect(prepared: prepared)
        try db.execute("CREATE TEMP TABLE pipe (id int PRIMARY KEY)")
        db.meter.reset()
        let rows = try db.pipeline([
            PGStatement("INSERT INTO pipe VALUES ($1) RETURNING id", ["1"]),
            PGStatement("INSERT INTO pipe VALUES ($1) RETURNING id", ["2"]),
            PGStatement("SELECT count(*) AS n FROM pipe"),
        ])
        #expect(db.meter.roundTrips == 1)
        #expect(rows.map { $0.first?["id"] ?? $0.first?["n"] } == ["1", "2", "2"])

        // A failure in the middle undoes the statements before it and skips those after it.
        #expect(throws: PGError.self) {
            try db.pipeline([
                PGStatement("INSERT INTO pipe VALUES ($1)", ["3"]),
                PGStatement("INSERT INTO pipe VALUES ($1)", ["1"]),  // duplicate key
                PGStatement("INSERT INTO pipe VALUES ($1)", ["4"]),
            ])
        }
        let left = try db.query("SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM pipe").single("ids")
        #expect(left.string("ids") == "1,2")
    }

    @Test func aFailedPreparationIsReportedAndNotRemembered() throws {
        let db = try Self.connect(prepared: true)
        for _ in 0..<2 {
            #expect(throws: PGError.self) { try db.query("SELECT no_such_column FROM pg_class") }
        }
        #expect(try db.query("SELECT 1 AS one").single("one").int("one") == 1)
    }

    @Test func preparedStatementsAreMadeAgainAfterTheSessionIsLost() throws {
        let db = try Self.connect(prepared: true)
        #expect(try db.query("SELECT 41 + $1::int AS n", ["1"]).single("n").int("n") == 42)
        let pid = try db.query("SELECT pg_backend_pid() AS pid").single("pid").string("pid")
        try TestDatabase.connect().query("SELECT pg_terminate_backend($1::int)", [pid])
        Thread.sleep(forTimeInterval: 0.2)
        try db.prepareForRequest()
        #expect(try db.query("SELECT 41 + $1::int AS n", ["1"]).single("n").int("n") == 42)
    }

    @Test(arguments: [true, false])
    func aKeyedStatementIsFoundByItsKeyAndRemadeAfterAReset(prepared: Bool) throws {
        let db = try Self.connect(prepared: prepared)
        let key = PGStatementKey()
        for value in 1...3 {
            #expect(
                try db.query("SELECT $1::int * 2 AS n", [String(value)], key: key).single("n").int("n") == 2 * value)
        }
        #expect(db.preparedByKey[key] != nil || !prepared)
        let pid = try db.query("SELECT pg_backend_pid() AS pid").single("pid").string("pid")
        try TestDatabase.connect().query("SELECT pg_terminate_backend($1::int)", [pid])
        Thread.sleep(forTimeInterval: 0.2)
        try db.prepareForRequest()
        #expect(db.preparedByKey.isEmpty)
        #expect(try db.query("SELECT $1::int * 2 AS n", ["21"], key: key).single("n").int("n") == 42)
    }
}

/// A pipeline that cannot be sent whole leaves no half-open pipeline behind: the worker gets a new session.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct PGPipelineFailureTests {
    @Test func aPipelineThatFailsWhileSendingIsReplacedByANewSession() throws {
        let worker = WorkerDatabase(conninfo: TestDatabase.url)
        let db = try worker.connection()
        // libpq refuses more than 65,535 parameters before sending anything of that statement.
        let tooMany = [String?](repeating: "1", count: 70_000)
        #expect(throws: PGError.self) {
            try db.pipeline([PGStatement("SELECT 1 AS one"), PGStatement("SELECT $1::int", tooMany)])
        }
        #expect(db.isDropped)
        let next = try worker.connection()
        #expect(next !== db)
        #expect(try next.query("SELECT 2 AS two").single("two").int("two") == 2)
    }
}
