import Foundation

/// `ticketsync serve --workers N`: a small master that opens the listening socket, starts N worker processes on it
/// (each with its threads, database connections and delivery loop), restarts a worker that dies (with a back-off
/// when it keeps dying), reloads on SIGHUP without dropping a request (new workers, with a re-read `--env-file`
/// and the binary now at the same path, accept before the old ones drain and exit), and on SIGTERM lets every
/// worker finish what is in flight, then exits.
public final class WorkerMaster {
    public struct Options: Sendable {
        public var address: ListenSocket.Address
        public var socketGroup: String?
        public var workers: Int
        /// The arguments every worker gets after `serve --worker-fd 3 --ready-fd 4 --lifeline-fd 5 --metrics-fd 6`.
        public var workerArguments: [String]
        public var envFile: String?
        /// How long a new worker may take to be ready.
        public var readySeconds: Double = 30

        public init(
            address: ListenSocket.Address, socketGroup: String?, workers: Int, workerArguments: [String],
            envFile: String?
        ) {
            self.address = address
            self.socketGroup = socketGroup
            self.workers = workers
            self.workerArguments = workerArguments
            self.envFile = envFile
        }
    }

    let options: Options
    let executable: String
    private var workers: [pid_t: WorkerProcess] = [:]
    private var generation = 0
    private var environment: [String: String] = [:]
    private var socket: ListenSocket?
    private var lifeline: (read: Int32, write: Int32) = (-1, -1)
    /// The counters every worker adds to; the master counts the restarts there (in the series found once, at start).
    private var metrics: MetricsRegion?
    private var restartsSlot: Int?
    /// Consecutive workers that died soon after starting, and when the next one may start.
    private var quickDeaths = 0
    private var nextSpawn = Date.distantPast

    public init(options: Options) throws {
        self.options = options
        // The binary's path now, so that a reload starts the binary found there then (a new build).
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw WorkerProcess.SpawnFailure(description: "cannot find the executable") }
        executable = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The counter the master adds a restarted worker to (the application exposes it with its own).
    public static let restartsSeries = "ticketsync_worker_restarts_total"

    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGCHLD]

    /// Runs until SIGTERM or SIGINT; throws when the first workers cannot start.
    public func run() throws {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in Self.signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)

        environment = try EnvFile.environment(base: ProcessInfo.processInfo.environment, path: options.envFile)
        let metrics = try MetricsRegion.shared()
        self.metrics = metrics
        restartsSlot = metrics.slot(Self.restartsSeries)
        let socket = try ListenSocket.open(options.address, group: options.socketGroup)
        self.socket = socket
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0, let read = pipeFDs.first, let write = pipeFDs.last else {
            socket.close()
            throw WorkerProcess.SpawnFailure(description: "pipe(): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(read, F_SETFD, FD_CLOEXEC)
        _ = fcntl(write, F_SETFD, FD_CLOEXEC)
        lifeline = (read, write)

        guard startGeneration() else {
            stopAll(generation: nil, signal: SIGINT)
            socket.close()
            throw WorkerProcess.SpawnFailure(description: "the workers did not start (their reason is logged above)")
        }
        ServerLog.info("listening on \(options.address) with \(options.workers) worker processes (master \(getpid()))")

        while true {
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 0, tv_nsec: 500_000_000)
            let received = sigtimedwait(&set, &info, &timeout)
            switch received {
            case SIGTERM, SIGINT:
                ServerLog.info("master: signal \(received): workers finish what is in flight, then stop")
                stopAll(generation: nil, signal: SIGINT)
                socket.close()
                ServerLog.info("stopped")
                return
            case SIGHUP:
                reap()
                reload()
            default:
                reap()
            }
            refill()
        }
    }

    /// Starts a full set of workers of a new generation and waits until they accept. False if any did not.
    private func startGeneration() -> Bool {
        generation += 1
        var started: [WorkerProcess] = []
        for _ in 0..<options.workers {
            if let worker = spawn() { started.append(worker) }
        }
        let ready = awaitReadiness(started, seconds: options.readySeconds)
        return started.count == options.workers && started.allSatisfy { ready.contains($0.pid) }
    }

    private func spawn() -> WorkerProcess? {
        let arguments =
            [
                "serve", "--worker-fd", String(WorkerProcess.listenFD), "--ready-fd", String(WorkerProcess.readyFD),
                "--lifeline-fd", String(WorkerProcess.lifelineFD), "--metrics-fd", String(WorkerProcess.metricsFD),
            ] + options.workerArguments
        do {
            let worker = try WorkerProcess.spawn(
                executable: executable, arguments: arguments, environment: environment, listenFD: socket?.fd ?? -1,
                lifelineFD: lifeline.read, metricsFD: metrics?.fd ?? -1, generation: generation)
            workers[worker.pid] = worker
            return worker
        } catch {
            ServerLog.error("master: cannot start a worker: \(error)")
            return nil
        }
    }

    /// SIGHUP: a new generation (new binary, new settings) accepts before the old one drains; if it cannot start,
    /// the old one keeps serving.
    private func reload() {
        let previous = generation
        do {
            environment = try EnvFile.environment(base: ProcessInfo.processInfo.environment, path: options.envFile)
        } catch {
            ServerLog.error("master: reload refused: \(error); the running workers keep serving")
            return
        }
        ServerLog.info("master: reloading: starting \(options.workers) new workers")
        if startGeneration() {
            stopAll(generation: previous, wait: false)
            ServerLog.info("master: reloaded: generation \(generation) serves; the previous one drains")
        } else {
            stopAll(generation: generation, signal: SIGINT)
            generation = previous
            ServerLog.error("master: reload failed (see the new workers' log lines); the previous workers keep serving")
        }
    }

    /// Stops the workers of one generation (nil: all) and, when asked, waits until they are gone. SIGTERM (a
    /// reload's previous generation) has them serve nginx's kept connections until nginx closes them, as the new
    /// generation takes over; SIGINT (the service stopping) closes those once answered.
    private func stopAll(generation target: Int?, signal: Int32 = SIGTERM, wait: Bool = true) {
        let chosen = workers.values.filter { target == nil || $0.generation == target }
        for worker in chosen { kill(worker.pid, signal) }
        guard wait else { return }
        let deadline = Date().addingTimeInterval(60)
        for worker in chosen {
            var status: Int32 = 0
            while waitpid(worker.pid, &status, WNOHANG) == 0 {
                if Date() > deadline { kill(worker.pid, SIGKILL) }
                usleep(20_000)
            }
            workers[worker.pid] = nil
        }
    }

    /// Collects every worker that ended and says why; a current one is replaced by `refill`.
    private func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let worker = workers.removeValue(forKey: pid) else { continue }
            let cause = WorkerProcess.describe(status)
            guard worker.generation == generation else {
                ServerLog.info("master: previous worker \(pid) \(cause) after draining")
                continue
            }
            if let metrics, let restartsSlot { metrics.add(restartsSlot, 1) }
            let lived = Date().timeIntervalSince(worker.started)
            quickDeaths = lived < 5 ? quickDeaths + 1 : 0
            let delay = quickDeaths == 0 ? 0 : min(30, 0.5 * pow(2, Double(quickDeaths - 1)))
            nextSpawn = Date().addingTimeInterval(delay)
            ServerLog.warning(
                "master: worker \(pid) \(cause) after \(Int(lived))s; starting a replacement"
                    + (delay > 0 ? " in \(delay)s (it keeps dying: back-off)" : ""))
        }
    }

    /// Starts replacements until the current generation is whole again, once the back-off allows.
    private func refill() {
        while workers.values.filter({ $0.generation == generation }).count < options.workers, Date() >= nextSpawn {
            guard let worker = spawn() else {
                nextSpawn = Date().addingTimeInterval(1)
                return
            }
            if awaitReadiness([worker], seconds: options.readySeconds).contains(worker.pid) {
                ServerLog.info("master: worker \(worker.pid) replaces the one that ended")
            } else {
                quickDeaths += 1
                nextSpawn = Date().addingTimeInterval(min(30, 0.5 * pow(2, Double(quickDeaths - 1))))
                return
            }
        }
    }
}
