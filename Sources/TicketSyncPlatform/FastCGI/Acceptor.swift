import Foundation
import Synchronization

/// Accepts connections on a listening socket that several processes may share (the supervised workers), and can be
/// told to stop without touching that socket: the threads wait in poll() on the socket and on a wake-up pipe, and
/// accept non-blockingly, so a worker that stops leaves the socket to the others. (libfcgi's own accept would block
/// in accept(), and waking it by shutting the socket down would close it for every process.)
public final class Acceptor: @unchecked Sendable {
    let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopping = Atomic<Bool>(false)

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
        // Non-blocking (shared by every process holding the socket): losing a race for a connection is EAGAIN.
        let flags = fcntl(listenFD, F_GETFL)
        _ = fcntl(listenFD, F_SETFL, flags | O_NONBLOCK)
    }

    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    /// The next connection (a blocking socket), or nil once `stop()` was called. Under load a connection is
    /// usually waiting already: accept first, and poll only when there is none (two system calls per connection).
    func next() -> Int32? {
        while !stopping.load(ordering: .acquiring) {
            // The connection blocks, as libfcgi expects: Linux never passes the listening socket's O_NONBLOCK on.
            let connection = accept(listenFD, nil, nil)
            if connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                return connection
            }
            switch errno {
            // None waiting, or another thread or process took it: wait until one arrives (or stop() is called).
            case EAGAIN, EWOULDBLOCK:
                var fds = [
                    pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                ]
                if poll(&fds, 2, -1) < 0, errno != EINTR { return nil }
            // The client went away before we took it: take the next.
            case EINTR, ECONNABORTED, EPROTO, ECONNRESET: continue
            // Out of descriptors or memory for a moment: back off instead of spinning.
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: usleep(50_000)
            default: return nil
            }
        }
        return nil
    }

    /// Wakes every thread waiting in `next()`, now and later (the pipe is never drained).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }
}
