import ArgumentParser
import Foundation
import TicketSync

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the FastCGI responder.")

    @Option(help: "Unix socket path, or host:port for TCP.")
    var listen: String = ".run/ticketsync.sock"

    @Option(help: "Worker threads, each with its own database connection.")
    var threads: Int = 8

    @Option(help: "Group to give the unix socket (mode 0660), e.g. the group nginx runs as.")
    var socketGroup: String?

    @Option(help: "Directory of the SQL migrations (default: $TICKETSYNC_SQL_DIR or ./sql).")
    var sqlDir: String?

    @Flag(inversion: .prefixedNo, help: "Run the outbox delivery loop in this process.")
    var deliveryLoop = true

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = Settings(environment: environment)
        guard !settings.databaseURL.isEmpty else { throw ValidationError("set DATABASE_URL") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard let address = ListenSocket.Address.parse(listen) else { throw ValidationError("bad --listen: \(listen)") }
        settings.warnings.forEach(ServerLog.warning)
        let keys = try StartupChecks.run(settings: settings, environment: environment)
        let migrations = try Migration.load(from: Migration.directory(explicit: sqlDir, environment: environment))
        let application = Application(
            settings: settings, expectedSchemaVersion: migrations.last?.version ?? 0,
            keys: keys)
        try FastCGIServer(
            application: application,
            options: .init(
                address: address, threads: threads, socketGroup: socketGroup,
                deliveryLoop: deliveryLoop)
        ).run()
    }
}
