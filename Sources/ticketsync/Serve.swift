import ArgumentParser
import Foundation
import TicketSync
import TicketSyncPlatform

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the FastCGI responder: a master and its worker processes (or one process with --workers 0).")

    @Option(help: "Unix socket path, or host:port for TCP.")
    var listen: String = ".run/ticketsync.sock"

    @Option(help: "Worker processes the master keeps running (0: no master, this process serves).")
    var workers: Int = 2

    @Option(help: "Threads per worker, each with its own database connection.")
    var threads: Int = 8

    @Option(help: "Group to give the unix socket (mode 0660), e.g. the group nginx runs as.")
    var socketGroup: String?

    @Option(help: "SQL migrations directory (default: $TICKETSYNC_SQL_DIR, <prefix>/share/ticketsync/sql, ./sql).")
    var sqlDir: String?

    @Option(help: "KEY=VALUE settings over the environment, read again on every reload (SIGHUP).")
    var envFile: String?

    @Flag(inversion: .prefixedNo, help: "Run the outbox delivery loop in each worker.")
    var deliveryLoop = true

    // Set by the master for the workers it starts: the inherited socket, readiness pipe and lifeline.
    @Option(help: .hidden) var workerFd: Int32?
    @Option(help: .hidden) var readyFd: Int32?
    @Option(help: .hidden) var lifelineFd: Int32?
    @Option(help: .hidden) var metricsFd: Int32?

    func run() throws {
        let environment: [String: String]
        do { environment = try EnvFile.environment(base: ProcessInfo.processInfo.environment, path: envFile) } catch {
            throw ValidationError("\(error)")
        }
        let settings = Settings(environment: environment)
        ServerLog.format = settings.logFormat
        guard !settings.databaseURL.isEmpty else { throw ValidationError("set DATABASE_URL") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be between 0 and 64") }
        guard let address = ListenSocket.Address.parse(listen) else { throw ValidationError("bad --listen: \(listen)") }
        let keys = try StartupChecks.run(settings: settings, environment: environment)
        let migrations = try Migration.load(from: Migration.directory(explicit: sqlDir, environment: environment))

        if workerFd == nil && workers > 0 {
            // The master: it serves no request itself; the workers re-check the settings as they start.
            var arguments = ["--listen", listen, "--threads", String(threads)]
            if let sqlDir { arguments += ["--sql-dir", sqlDir] }
            if !deliveryLoop { arguments.append("--no-delivery-loop") }
            try WorkerMaster(
                options: .init(
                    address: address, socketGroup: socketGroup, workers: workers,
                    workerArguments: arguments, envFile: envFile)
            ).run()
            return
        }
        settings.warnings.forEach(ServerLog.warning)
        if let lifelineFd { Self.exitWhenMasterIsGone(lifelineFd) }
        // A worker counts in its master's region; a lone process (--workers 0) in one of its own.
        let metrics = try metricsFd.map(MetricsRegion.attach(fd:))
        let application = Application(
            settings: settings, expectedSchemaVersion: migrations.last?.version ?? 0, keys: keys, metrics: metrics)
        try FastCGIServer(
            application: application,
            options: .init(
                address: address, threads: threads, socketGroup: socketGroup, deliveryLoop: deliveryLoop,
                inheritedFD: workerFd, readyFD: readyFd)
        ).run()
    }

    /// A worker whose master died (even by SIGKILL) exits at once: the master's end of the lifeline pipe is gone.
    static func exitWhenMasterIsGone(_ fd: Int32) {
        let watcher = Thread {
            var byte: UInt8 = 0
            while read(fd, &byte, 1) != 0 {}
            ServerLog.warning("worker \(getpid()): the master is gone; exiting")
            _exit(70)
        }
        watcher.name = "lifeline"
        watcher.start()
    }
}
