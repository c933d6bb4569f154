import Foundation

@testable import TicketSync
@testable import TicketSyncPlatform

/// Integration tests run against the PostgreSQL that `make test` starts (DATABASE_URL, already migrated).
/// Each test makes its own org, so tests can run in parallel without seeing each other's rows.
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
    static let available = !url.isEmpty

    static func connect() throws -> PGConnection { try PGConnection(conninfo: url) }

    struct Org {
        let id: String
        let requestID: String
        let adminID: String
        let adminToken: String
        let readerToken: String

        var orgID: OrgID { OrgID(id) }
        var evidenceRequestID: EvidenceRequestID { EvidenceRequestID(requestID) }
    }

    /// A new org with one evidence request, a configure member and a read-only member.
    static func makeOrg(_ db: PGConnection) throws -> Org {
        let org = UUID().uuidString.lowercased()
        let request = UUID().uuidString.lowercased()
        try db.query("INSERT INTO orgs (id, name) VALUES ($1, 'Test org')", [org])
        try db.query(
            "INSERT INTO evidence_requests (id, org_id, title, description) VALUES ($1, $2, 'SOC 2 access review', 'Q3')",
            [request, org])
        let auth = AuthStore(db: db)
        let admin = try auth.ensureUser(email: "admin-\(org)@test.example", displayName: "Admin \(org.prefix(4))")
        let reader = try auth.ensureUser(email: "reader-\(org)@test.example", displayName: nil)
        try db.query(
            "INSERT INTO org_memberships VALUES ($1, $2, 'configure'), ($1, $3, 'read')", [org, admin, reader])
        return Org(
            id: org, requestID: request, adminID: admin,
            adminToken: try auth.issueToken(userID: UserID(admin), name: "test"),
            readerToken: try auth.issueToken(userID: UserID(reader), name: "test"))
    }

    /// `count` comments on the org's evidence request, a second apart from a day ago ("Comment 1" the oldest).
    static func addThread(_ db: PGConnection, _ org: Org, comments count: Int) throws {
        try db.query(
            """
            INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, created_at)
            SELECT $1, $2, 'internal', 'Long', 'Comment ' || n, now() - interval '1 day' + n * interval '1 second'
            FROM generate_series(1, $3::int) n
            """, [org.id, org.requestID, String(count)])
    }

    /// Runs `body` on `count` threads at once, each with its own connection, and collects the results.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) -> [Result<
        T, any Error
    >] {
        let results = ResultBox<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            results.set(index, Result { try body(index) })
        }
        return results.values
    }
}

/// Thread-safe slots for `concurrently`.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<T, any Error>) { lock.withLock { slots[index] = value } }

    var values: [Result<T, any Error>] { lock.withLock { slots.map { $0! } } }
}
