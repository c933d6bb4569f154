import CFCGI
import Foundation
import Synchronization

/// Hands a worker's threads their next connection: a new one from the listening socket that several processes may
/// share (the supervised workers), or a kept one (nginx's `fastcgi_keep_conn`) on which nginx sent its next request.
///
/// One epoll set holds the listening socket, a wake-up pipe and every kept connection waiting for its next request
/// (one-shot: the thread that gets it owns it until it hands it back). The threads take turns in `next()`, so an idle
/// kept connection never holds a thread: four threads serve any number of nginx's kept connections, and a new
/// connection is taken while others sit idle. Nothing is closed by timer here: nginx closes an idle kept connection
/// (`keepalive_timeout`), which wakes the set, and a thread closes its end.
///
/// Stopping leaves the listening socket to the other processes (libfcgi's accept would block in accept(), and
/// waking it by shutting the socket down would close it for every process). `stop(draining:)` either closes the
/// kept connections at once (SIGINT, the whole service stopping) or keeps serving them until nginx closes them, at
/// most `draining` seconds (SIGTERM, a reload's old workers): closing a kept connection nginx may be writing its
/// next request to would cost that request a 502 (nginx retries a GET, never a POST), while nginx closing it itself
/// (its `keepalive_time`) is never a race.
public final class Acceptor: @unchecked Sendable {
    let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let epoll: Int32
    private let stopping = Atomic<Bool>(false)
    /// When a drain ends (monotonic nanoseconds); 0: no drain (serving, or stopping at once).
    private let drainDeadline = Atomic<UInt64>(0)
    /// Connections this process holds open, in a request or waiting for one.
    private let open = Atomic<Int>(0)
    /// Kept connections waiting in the epoll set for their next request (closed by `closeIdle` at the end).
    private let idle = Mutex<Set<Int32>>([])
    /// Only `next()` reads it, under the caller's lock.
    private var listening = true

    public init(listenFD: Int32) throws {
        self.listenFD = listenFD
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0, let read = pipeFDs.first, let write = pipeFDs.last else {
            throw ListenSocket.Failure(description: "pipe(): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(read, F_SETFD, FD_CLOEXEC)
        _ = fcntl(write, F_SETFD, FD_CLOEXEC)
        wakeRead = read
        wakeWrite = write
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            throw ListenSocket.Failure(description: "epoll_create1(): \(String(cString: strerror(errno)))")
        }
        // Non-blocking (shared by every process holding the socket): losing a race for a connection is EAGAIN.
        let flags = fcntl(listenFD, F_GETFL)
        _ = fcntl(listenFD, F_SETFL, flags | O_NONBLOCK)
        guard control(EPOLL_CTL_ADD, listenFD, events: EPOLLIN.rawValue) == 0,
            control(EPOLL_CTL_ADD, wakeRead, events: EPOLLIN.rawValue) == 0
        else { throw ListenSocket.Failure(description: "epoll_ctl(): \(String(cString: strerror(errno)))") }
    }

    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
        Glibc.close(epoll)
    }

    /// The next connection with a request to read (a blocking socket: a new one, or a kept one nginx wrote to or
    /// closed; `accepted`: a new one), or nil once the thread should end. One thread at a time (the caller holds a
    /// lock).
    func next() -> (fd: Int32, accepted: Bool)? {
        var event = epoll_event()
        while true {
            if stopping.load(ordering: .acquiring) {
                let deadline = drainDeadline.load(ordering: .acquiring)
                if deadline == 0 || open.load(ordering: .acquiring) == 0 || Self.now() >= deadline { return nil }
                if listening {
                    // Draining: no new connection; the socket stays open (and listed) for the other workers.
                    _ = control(EPOLL_CTL_DEL, listenFD, events: 0)
                    _ = control(EPOLL_CTL_DEL, wakeRead, events: 0)
                    listening = false
                }
            }
            // Draining, wake up now and then to see whether the last connection went or the time ran out.
            let ready = epoll_wait(epoll, &event, 1, listening ? -1 : 100)
            if ready < 0 && errno != EINTR { return nil }
            if ready <= 0 { continue }
            let fd = event.data.fd
            if fd == wakeRead { continue }  // stop() was called: the checks above decide
            if fd != listenFD {
                _ = idle.withLock { $0.remove(fd) }
                return (fd, false)
            }
            // The connection blocks, as libfcgi expects: Linux never passes the listening socket's O_NONBLOCK on.
            let connection = accept(listenFD, nil, nil)
            if connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                open.add(1, ordering: .relaxed)
                return (connection, true)
            }
            switch errno {
            // Another thread or process took it, or the client went away before we took it: wait for the next.
            case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO, ECONNRESET: continue
            // Out of descriptors or memory for a moment: back off instead of spinning.
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: usleep(50_000)
            default: return nil
            }
        }
    }

    /// Puts a connection whose request is answered back in the set, to wait for nginx's next request on it; false
    /// when the worker is stopping now (or its drain ran out): the caller closes it.
    func keep(_ fd: Int32) -> Bool {
        if stopping.load(ordering: .acquiring) {
            let deadline = drainDeadline.load(ordering: .acquiring)
            if deadline == 0 || Self.now() >= deadline { return false }
        }
        // Listed before it is armed: the thread that gets its event finds it there to remove.
        _ = idle.withLock { $0.insert(fd) }
        let events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue
        if control(EPOLL_CTL_MOD, fd, events: events) == 0 { return true }
        if errno == ENOENT, control(EPOLL_CTL_ADD, fd, events: events) == 0 { return true }
        _ = idle.withLock { $0.remove(fd) }
        return false
    }

    /// Closes a connection this process will not read again.
    func close(_ fd: Int32) {
        Glibc.close(fd)
        forget(fd)
    }

    /// A connection closed elsewhere (libfcgi closes one on which no request could be read).
    func forget(_ fd: Int32) {
        open.subtract(1, ordering: .relaxed)
    }

    /// Wakes every thread waiting in `next()`. `draining` seconds > 0: kept connections go on being served until
    /// nginx closes them or the time runs out; 0: each is closed once its request in flight is answered.
    public func stop(draining seconds: Int = 0) {
        let deadline = seconds > 0 ? Self.now() &+ UInt64(clamping: seconds) * 1_000_000_000 : 0
        drainDeadline.store(deadline, ordering: .releasing)
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // never drained: every later epoll_wait sees it too
    }

    /// Closes the kept connections still waiting, once every thread has ended.
    public func closeIdle() {
        let waiting = idle.withLock { set in
            defer { set.removeAll() }
            return set
        }
        for fd in waiting { close(fd) }
    }

    private func control(_ operation: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        return epoll_ctl(epoll, operation, fd, &event)
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
