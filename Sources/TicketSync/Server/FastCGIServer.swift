import CFCGI
import Foundation

/// The responder: N worker threads, each with its own database connection, taking turns in FCGX_Accept_r.
/// SIGTERM/SIGINT stop accepting, let requests in flight finish, close connections and return.
public struct FastCGIServer {
    public struct Options: Sendable {
        public var address: ListenSocket.Address
        public var threads: Int
        public var socketGroup: String?
        /// Run the outbox delivery loop in this process (off when `ticketsync deliver` runs it elsewhere).
        public var deliveryLoop: Bool

        public init(address: ListenSocket.Address, threads: Int, socketGroup: String?, deliveryLoop: Bool = true) {
            self.address = address
            self.threads = threads
            self.socketGroup = socketGroup
            self.deliveryLoop = deliveryLoop
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

        guard FCGX_Init() == 0 else { throw ListenSocket.Failure(description: "FCGX_Init failed") }
        let socket = try ListenSocket.open(options.address, group: options.socketGroup)
        ServerLog.info(
            "listening on \(options.address) with \(options.threads) threads, provider \(application.settings.provider.rawValue)"
        )

        let acceptLock = NSLock()
        let finished = DispatchGroup()
        for index in 0..<options.threads {
            finished.enter()
            let thread = Thread { [application] in
                Self.work(application: application, fd: socket.fd, acceptLock: acceptLock)
                finished.leave()
            }
            thread.name = "worker-\(index)"
            thread.start()
        }

        let delivery =
            options.deliveryLoop ? DeliveryLoop(settings: application.settings, providers: application.providers) : nil
        delivery?.start()

        let received = ShutdownSignals.wait()
        ServerLog.info("signal \(received): finishing requests in flight")
        FCGX_ShutdownPending()
        socket.close()  // wakes the thread blocked in accept()
        finished.wait()
        delivery?.stop()
        ServerLog.info("stopped")
    }

    private static func work(application: Application, fd: Int32, acceptLock: NSLock) {
        let database = WorkerDatabase(conninfo: application.settings.databaseURL, limits: application.settings.databaseLimits)
        defer { database.close() }
        var raw = FCGX_Request()
        FCGX_InitRequest(&raw, fd, 0)
        while true {
            acceptLock.lock()
            let accepted = FCGX_Accept_r(&raw)
            acceptLock.unlock()
            guard accepted >= 0 else { break }
            let started = DispatchTime.now().uptimeNanoseconds
            let request: HTTPRequest
            let response: HTTPResponse
            switch FastCGIExchange.read(&raw, maxBody: application.settings.maxBodyBytes) {
            case .request(let incoming):
                request = incoming
                response = application.handle(incoming, database: database)
            case .refused(let incoming, let error):
                request = incoming
                response = error.response
            }
            FastCGIExchange.write(response, to: &raw)
            FCGX_Finish_r(&raw)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            ServerLog.request(
                method: request.method, path: request.path, status: response.status, milliseconds: elapsed)
        }
        FCGX_Free(&raw, 1)
    }
}
