import Foundation
import TicketSyncPlatform

/// The responder: N worker threads, each with its own database connection, taking turns in FCGX_Accept_r.
/// SIGTERM/SIGINT stop accepting, let requests in flight finish, close connections and return.
public struct FastCGIServer {
    public struct Options: Sendable {
        public var address: ListenSocket.Address
        public var threads: Int
        public var socketGroup: String?
        /// Run the outbox delivery loop in this process (off when `ticketsync deliver` runs it elsewhere).
        public var deliveryLoop: Bool
        /// A supervised worker serves a socket its master opened (inherited as this descriptor) and never closes or
        /// unlinks it; nil: this process opens its own (`--workers 0`).
        public var inheritedFD: Int32?
        /// A worker writes one byte here once it accepts, so its master knows it is ready.
        public var readyFD: Int32?

        public init(
            address: ListenSocket.Address, threads: Int, socketGroup: String?, deliveryLoop: Bool = true,
            inheritedFD: Int32? = nil, readyFD: Int32? = nil
        ) {
            self.address = address
            self.threads = threads
            self.socketGroup = socketGroup
            self.deliveryLoop = deliveryLoop
            self.inheritedFD = inheritedFD
            self.readyFD = readyFD
        }
    }

    let application: Application
    let options: Options

    public init(application: Application, options: Options) {
        self.application = application
        self.options = options
    }

    public func run() throws {
        // libfcgi ignores SIGTERM in a threaded process: the signals stay blocked in every thread (the command
        // blocks them first thing) and the main thread waits for them here.
        ShutdownSignals.block()

        try FastCGIRequest.initializeLibrary()
        let owned =
            options.inheritedFD == nil ? try ListenSocket.open(options.address, group: options.socketGroup) : nil
        let acceptor = try Acceptor(listenFD: options.inheritedFD ?? owned?.fd ?? -1)

        let acceptLock = NSLock()
        let finished = DispatchGroup()
        for index in 0..<options.threads {
            finished.enter()
            let thread = Thread { [application] in
                Self.work(application: application, acceptor: acceptor, acceptLock: acceptLock)
                finished.leave()
            }
            thread.name = "worker-\(index)"
            thread.start()
        }

        // Several loops, so that the per-connection and per-org caps leave loops free for other orgs' trackers.
        let rests = LaneRests(milliseconds: application.settings.deliveryPollMilliseconds)
        let delivery =
            options.deliveryLoop
            ? (0..<application.settings.deliveryLoops).map { _ in
                DeliveryLoop(settings: application.settings, providers: application.providers, rests: rests)
            } : []
        delivery.forEach { $0.start() }
        if let readyFD = options.readyFD {
            var byte: UInt8 = 1
            _ = write(readyFD, &byte, 1)
            Glibc.close(readyFD)
            ServerLog.info("worker \(getpid()) ready with \(options.threads) threads")
        } else {
            ServerLog.info(
                "listening on \(options.address) with \(options.threads) threads, provider \(application.settings.provider.rawValue)"
            )
        }

        let received = ShutdownSignals.wait()
        // No new connection is taken; the socket stays open for the other workers. SIGTERM (a reload's previous
        // workers, or an operator): nginx's kept connections go on being served until nginx closes them, so that no
        // request it is sending on one fails; SIGINT (the master stopping the whole service): closed once answered.
        let drain = received == SIGTERM ? Self.keptConnectionDrainSeconds : 0
        ServerLog.info(
            "signal \(received): finishing requests in flight"
                + (drain > 0 ? " and those on kept connections until nginx closes them (at most \(drain)s)" : ""))
        acceptor.stop(draining: drain)
        finished.wait()
        acceptor.closeIdle()
        owned?.close()
        delivery.forEach { $0.stop() }
        ServerLog.info(options.inheritedFD == nil ? "stopped" : "worker \(getpid()) stopped")
    }

    /// How long a stopping worker serves nginx's kept connections: the shipped upstream has nginx close each one
    /// after `keepalive_time 5s` of use or `keepalive_timeout 3s` idle, well within; one still open after this (an
    /// nginx configured otherwise) is closed.
    static let keptConnectionDrainSeconds = 10

    private static func work(application: Application, acceptor: Acceptor, acceptLock: NSLock) {
        let database = WorkerDatabase(
            conninfo: application.settings.databaseURL, limits: application.settings.databaseLimits)
        defer { database.close() }
        var request = FastCGIRequest()
        while request.accept(from: acceptor, lock: acceptLock) {
            serve(&request, acceptor: acceptor, application: application, database: database)
        }
        request.free()
    }
}
