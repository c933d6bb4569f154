import ArgumentParser
import Foundation
import TicketSync
import TicketSyncPlatform

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations that are not applied yet.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "SQL migrations directory (default: $TICKETSYNC_SQL_DIR, <prefix>/share/ticketsync/sql, ./sql).")
    var sqlDir: String?

    func run() throws {
        let directory = Migration.directory(explicit: sqlDir, environment: ProcessInfo.processInfo.environment)
        let migrations = try Migration.load(from: directory)
        let applied = try Migrator(connection: database.connect()).migrate(migrations)
        print(applied.isEmpty ? "schema is up to date" : applied.map { "applied \($0)" }.joined(separator: "\n"))
    }
}
