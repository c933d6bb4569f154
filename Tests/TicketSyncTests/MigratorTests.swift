import Foundation
import Testing

@testable import TicketSync

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
