import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct MigratorTests {
    let migrations: [Migration]

    init() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        migrations = try Migration.load(from: repo.appendingPathComponent("sql").path)
    }

    @Test func loadsNumberedFilesInOrder() {
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(migrations.first?.version == 1)
    }

    @Test func rerunningIsANoOp() throws {
        let applied = try Migrator(connection: TestDatabase.connect()).migrate(migrations)
        #expect(applied.isEmpty)
    }

    /// Four processes migrating one new database at once: each migration is applied exactly once.
    @Test func concurrentMigrationsApplyEachFileOnce() throws {
        let admin = try TestDatabase.connect()
        let name = "ticketsync_migrate_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE \(name) WITH (FORCE)") }
        let url = TestDatabase.url.replacingOccurrences(of: "/ticketsync?", with: "/\(name)?")
        let migrations = self.migrations
        let results = TestDatabase.concurrently(4) { _ in
            try Migrator(connection: PGConnection(conninfo: url)).migrate(migrations)
        }
        let applied = try results.flatMap { try $0.get() }
        #expect(applied.sorted() == migrations.map(\.name).sorted())
        #expect(try Migrator(connection: PGConnection(conninfo: url)).appliedVersions() == migrations.map(\.version))
    }
}

/// The host's tables are left as they are where they already serve: an equivalent unique index under another name
/// (columns in the other order) means no second index on the host's evidence_requests.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct HostTableMigrationTests {
    @Test func anEquivalentIndexOfTheHostsIsUsedNotDuplicated() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let migrations = try Migration.load(from: repo.appendingPathComponent("sql").path)
        let admin = try TestDatabase.connect()
        let name = "ticketsync_host_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE \(name) WITH (FORCE)") }
        let db = try PGConnection(
            conninfo: TestDatabase.url.replacingOccurrences(of: "/ticketsync?", with: "/\(name)?"))
        try db.execute(
            """
            CREATE TABLE orgs (id uuid PRIMARY KEY, name text NOT NULL);
            CREATE TABLE evidence_requests (id uuid PRIMARY KEY, org_id uuid NOT NULL REFERENCES orgs (id),
                title text NOT NULL, description text NOT NULL DEFAULT '', status text NOT NULL DEFAULT 'open');
            CREATE UNIQUE INDEX hosts_own_index ON evidence_requests (id, org_id);
            """)
        _ = try Migrator(connection: db).migrate(migrations)
        let indexes = try db.query(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'evidence_requests' ORDER BY indexname"
        ).all.map { $0.string("indexname") }
        #expect(indexes == ["evidence_requests_pkey", "hosts_own_index"])
        // And where there is none, the migration makes it.
        let fresh = try TestDatabase.connect().query(
            "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'evidence_requests' AND indexname = 'evidence_requests_org_id_id'"
        ).single("count").int("n")
        #expect(fresh == 1)
    }
}
