import Foundation

/// One worker process of the master: `ticketsync serve --worker-fd 3 …`, started with posix_spawn (never fork: the
/// master may run threads of its own), with the shared listening socket as fd 3, a readiness pipe as fd 4 and the
/// master's lifeline as fd 5 (when the master dies, the pipe's last writer is gone and the worker exits at once), and
/// the metrics region every worker counts in as fd 6.
struct WorkerProcess {
    let pid: pid_t
    let generation: Int
    let started: Date
    /// The read end of this worker's readiness pipe, open until it is ready (or gone).
    var readiness: Int32

    static let listenFD: Int32 = 3
    static let readyFD: Int32 = 4
    static let lifelineFD: Int32 = 5
    static let metricsFD: Int32 = 6

    struct SpawnFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func spawn(
        executable: String, arguments: [String], environment: [String: String], listenFD: Int32,
        lifelineFD: Int32, metricsFD: Int32, generation: Int
    ) throws -> WorkerProcess {
        var ready: [Int32] = [-1, -1]
        guard pipe(&ready) == 0, let readEnd = ready.first, let writeEnd = ready.last else {
            throw SpawnFailure(description: "pipe(): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        defer { Glibc.close(writeEnd) }

        // The sources of the dup2s below must not sit on the target numbers (3 to 6), or one dup2 would overwrite
        // the next one's source: work from copies above them.
        let sources = [listenFD, writeEnd, lifelineFD, metricsFD].map { fcntl($0, F_DUPFD_CLOEXEC, 10) }
        defer { sources.forEach { Glibc.close($0) } }
        guard sources.allSatisfy({ $0 >= 10 }), sources.count == 4 else {
            Glibc.close(readEnd)
            throw SpawnFailure(description: "fcntl(F_DUPFD_CLOEXEC): \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto fixed numbers; the copies lose close-on-exec, so exactly these four reach the worker.
        for (source, target) in zip(sources, [Self.listenFD, Self.readyFD, Self.lifelineFD, Self.metricsFD]) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The master blocks its signals; the worker starts with none blocked and default dispositions, and blocks
        // its own first thing.
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            Glibc.close(readEnd)
            throw SpawnFailure(description: "posix_spawn \(executable): \(String(cString: strerror(status)))")
        }
        return WorkerProcess(pid: pid, generation: generation, started: Date(), readiness: readEnd)
    }

    /// How a worker ended, in words for the log.
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name =
            [
                SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGTERM: "SIGTERM",
                SIGBUS: "SIGBUS", SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE", SIGINT: "SIGINT",
            ][signal] ?? "signal"
        return "killed by signal \(signal) (\(name))" + (status & 0x80 != 0 ? ", core dumped" : "")
    }
}

/// Waits until each worker wrote its byte (ready) or closed the pipe (gone), or the time runs out. Returns the pids
/// that became ready.
func awaitReadiness(_ workers: [WorkerProcess], seconds: Double) -> Set<pid_t> {
    var waiting = Dictionary(uniqueKeysWithValues: workers.map { ($0.readiness, $0.pid) })
    var ready: Set<pid_t> = []
    let deadline = Date().addingTimeInterval(seconds)
    while !waiting.isEmpty {
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { break }
        var fds = waiting.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let count = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 1) * 1000))
        if count < 0 && errno != EINTR { break }
        for entry in fds where entry.revents != 0 {
            var byte: UInt8 = 0
            if read(entry.fd, &byte, 1) == 1, let pid = waiting[entry.fd] { ready.insert(pid) }
            Glibc.close(entry.fd)
            waiting[entry.fd] = nil
        }
    }
    for fd in waiting.keys { Glibc.close(fd) }
    return ready
}
