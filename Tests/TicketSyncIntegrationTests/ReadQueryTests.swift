import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// A read route's statement carries the caller's authorization once, not in every row of its data.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct ReadQueryTests {
    func read(_ sql: String, order: String?) throws -> (principal: Principal, rows: [PGRow], withAuth: Int) {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        let query = ReadQuery(sql, order: order)
        let read = try #require(
            try AuthStore(db: db).authorizedRead(
                token: org.adminToken, org: org.id, request: org.requestID, read: query))
        #expect(read.principal.email.hasPrefix("admin-"))
        #expect(read.principal.evidenceRequest?.title == "SOC 2 access review")
        #expect(read.principal.permission == .configure)
        let raw = try db.query(query.statement, [APIToken.digestHex(org.adminToken), org.id, org.requestID]).all
        return (read.principal, read.rows, raw.filter { $0["auth_user_id"] != nil }.count)
    }

    @Test(arguments: ["d.n", "d.n DESC"])
    func theAuthorizationIsInOneRowWhateverTheOrder(order: String) throws {
        let read = try read("SELECT n FROM generate_series(1, 20) n", order: order)
        #expect(read.rows.map { $0.int("n") } == (order == "d.n" ? Array(1...20) : Array((1...20).reversed())))
        #expect(read.withAuth == 1, "the authorization's columns are sent once, not with each of the 20 rows")
    }

    @Test func withNoDataTheLoneRowCarriesTheAuthorization() throws {
        let read = try read("SELECT 1 AS n WHERE false", order: nil)
        #expect(read.rows.isEmpty)
        #expect(read.withAuth == 1)
    }

    /// The audit page runs its generic plan from the first request (with `LIMIT $5`, PostgreSQL planned it afresh on
    /// every request on the large data set), and reads the same rows as planned for its parameters.
    @Test func theAuditPageRunsItsGenericPlan() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        try db.query(
            """
            INSERT INTO ticket_sync.audit_events (org_id, action, actor_kind)
            SELECT $1::uuid, 'connection.update', 'user' FROM generate_series(1, 30)
            """, [org.id])
        var pages: [[Int]] = []
        for _ in 0..<7 {
            let read = try #require(
                try AuthStore(db: db).authorizedRead(
                    token: org.adminToken, org: org.id, request: nil, read: AuditRoutes.orgEvents.with([nil, "11"])))
            pages.append(read.rows.map { $0.int("id") })
        }
        #expect(pages.allSatisfy { $0 == pages[0] } && pages[0].count == 11 && pages[0] == pages[0].sorted(by: >))
        try expectGenericPlansOnly(db, of: "%FROM ticket_sync.audit_events a%", atLeast: 7)
    }

    /// A thread's pages run their generic plan from the first request: with `LIMIT $4`, once a thread had grown to
    /// thousands of comments and been analyzed, PostgreSQL planned each page afresh (the soak's fall).
    @Test func theThreadPagesRunTheirGenericPlan() throws {
        let db = try TestDatabase.connect()
        let org = try TestDatabase.makeOrg(db)
        try TestDatabase.addThread(db, org, comments: 30)
        for slice in [CommentStore.ThreadSlice.first, .newest] {
            var pages: [[Int]] = []
            for _ in 0..<7 {
                let read = try #require(
                    try AuthStore(db: db).authorizedRead(
                        token: org.adminToken, org: org.id, request: org.requestID,
                        read: CommentStore.pageQuery(slice: slice, limit: 11)))
                pages.append(read.rows.map { $0.int("id") })
            }
            #expect(pages.allSatisfy { $0 == pages[0] } && pages[0].count == 11)
        }
        try expectGenericPlansOnly(db, of: "%FROM ticket_sync.comments c%", atLeast: 14)
    }

    /// The connection's prepared statements matching `pattern` ran generic plans only, at least `count` times, and
    /// the setting that forced them ended with each read.
    func expectGenericPlansOnly(_ db: PGConnection, of pattern: String, atLeast count: Int) throws {
        let plans = try db.query(
            """
            SELECT coalesce(sum(generic_plans), 0) AS generic, coalesce(sum(custom_plans), 0) AS custom
            FROM pg_prepared_statements WHERE statement LIKE $1
            """, [pattern]
        ).single("plans")
        let generic = try plans.int("generic")
        #expect(generic >= count, "\(generic)")
        #expect(try plans.int("custom") == 0)
        #expect(try db.query("SHOW plan_cache_mode").single("mode").string("plan_cache_mode") == "auto")
    }
}
