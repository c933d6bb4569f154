import Foundation
import Testing

@testable import TicketSyncPlatform

/// Where `migrate` and `serve` look for the SQL files: an installed binary uses the migrations installed beside it
/// (the Debian package's /usr/share/ticketsync/sql), whatever folder it is started in.
struct MigrationDirectoryTests {
    let prefix: URL

    init() throws {
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("ts-prefix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
    }

    var binary: String { prefix.appendingPathComponent("bin/ticketsync").path }
    var installed: String { prefix.appendingPathComponent("share/ticketsync/sql").path }

    @Test func anInstalledBinaryUsesTheMigrationsInstalledBesideIt() throws {
        defer { try? FileManager.default.removeItem(at: prefix) }
        #expect(Migration.directory(explicit: nil, environment: [:], executable: binary) == "sql")
        try FileManager.default.createDirectory(atPath: installed, withIntermediateDirectories: true)
        #expect(Migration.directory(explicit: nil, environment: [:], executable: binary) == installed)
    }

    @Test func theOptionAndTheSettingComeFirst() throws {
        defer { try? FileManager.default.removeItem(at: prefix) }
        try FileManager.default.createDirectory(atPath: installed, withIntermediateDirectories: true)
        let environment = ["TICKETSYNC_SQL_DIR": "/srv/sql"]
        #expect(Migration.directory(explicit: "/opt/sql", environment: environment, executable: binary) == "/opt/sql")
        #expect(Migration.directory(explicit: nil, environment: environment, executable: binary) == "/srv/sql")
        #expect(Migration.directory(explicit: nil, environment: [:], executable: nil) == "sql")
    }
}
