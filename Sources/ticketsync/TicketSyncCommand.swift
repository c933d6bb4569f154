import ArgumentParser
import Foundation
import TicketSync
import TicketSyncPlatform

@main
struct TicketSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticketsync",
        abstract: "Ticket Sync: two-way links between evidence requests and external trackers (FastCGI responder).",
        subcommands: [
            Serve.self, Deliver.self, Migrate.self, Grants.self, Token.self, Keys.self, DemoSeedCommand.self,
            Routes.self,
        ])

    /// SIGTERM/SIGINT are blocked before any thread exists (URLSession and Dispatch start their own), so that
    /// only the main thread's sigwait ever receives them and shutdown is always graceful.
    static func main() {
        ShutdownSignals.block()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every database command shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "libpq connection string or URI (default: $DATABASE_URL).")
    var databaseURL: String?

    func connect() throws -> PGConnection {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        guard !url.isEmpty else { throw ValidationError("set DATABASE_URL or pass --database-url") }
        var limits = PGSessionLimits.administrative
        if let schema = ProcessInfo.processInfo.environment["TICKETSYNC_HOST_SCHEMA"], !schema.isEmpty {
            guard let valid = HostSchema(schema.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("TICKETSYNC_HOST_SCHEMA: '\(schema)' is not a schema name")
            }
            limits.hostSchema = valid
        }
        do { return try PGConnection(conninfo: url, limits: limits) } catch let error as PGError {
            throw ValidationError("cannot connect to the database: \(error.message)")
        }
    }
}
