import CFCGI
import Foundation

/// One worker thread's libfcgi request, reused from one request to the next: the thread takes its turn for a
/// connection with a request on it (`Acceptor`), reads the request, writes the answer and finishes; a connection
/// nginx keeps (FCGI_KEEP_CONN) then goes back to the acceptor for nginx's next request, on whichever thread is free.
/// The FCGX calls stay in this folder.
public struct FastCGIRequest {
    var raw = FCGX_Request()
    /// nginx asked to keep this request's connection and its input ended cleanly: it may carry the next request.
    var reusable = false
    /// The connection was accepted for this request (not one kept from an earlier request).
    public private(set) var onNewConnection = false

    /// libfcgi never accepts itself (an invalid listening descriptor): the connection is handed to it by `accept`.
    public init() {
        FCGX_InitRequest(&raw, -1, 0)
    }

    /// libfcgi's process-wide set-up, once before the first request.
    public static func initializeLibrary() throws {
        guard FCGX_Init() == 0 else { throw ListenSocket.Failure(description: "FCGX_Init failed") }
    }

    /// Waits for the next request (one thread waits for a connection at a time; the others wait for `lock`, not in
    /// the kernel); false once the acceptor has stopped.
    public mutating func accept(from acceptor: Acceptor, lock: NSLock) -> Bool {
        while true {
            lock.lock()
            let next = acceptor.next()
            lock.unlock()
            guard let next else { return false }
            if begin(on: next.fd) {
                onNewConnection = next.accepted
                return true
            }
            // libfcgi closed it: nginx closed a kept connection (or a client hung up before a request).
            acceptor.forget(next.fd)
        }
    }

    /// Reads a request's begin record and params from `connection` with libfcgi; false when none came, and libfcgi
    /// closed the connection.
    mutating func begin(on connection: Int32) -> Bool {
        // FCGX_Accept_r reads the request from an open connection instead of accepting one; keepConnection stops it
        // from closing that connection while it finishes the (already finished) previous request.
        raw.ipcFd = connection
        raw.keepConnection = 1
        reusable = false
        guard FCGX_Accept_r(&raw) >= 0 else {
            raw.ipcFd = -1
            return false
        }
        return true
    }

    /// The accepted request, or why it is refused before it reaches the application.
    public mutating func read(maxBody: Int) -> FastCGIExchange.ReadOutcome {
        let outcome = FastCGIExchange.read(&raw, maxBody: maxBody)
        // A kept connection's next request starts after this one's input: read it to its end (the empty FCGI_STDIN
        // record) now, while nginx sends nothing else, as libfcgi drops what it buffered when the request finishes.
        // A body left unread (over the cap) or cut short closes the connection instead.
        guard raw.keepConnection != 0 else { return outcome }
        switch outcome {
        case .request(let request) where !request.bodyTooLarge: reusable = FastCGIExchange.readToEnd(&raw)
        case .request, .refused: break
        }
        return outcome
    }

    /// Writes the answer; `finish` then lets it leave.
    public mutating func write(_ response: HTTPResponse) {
        FastCGIExchange.write(response, to: &raw)
    }

    /// Ends the request: a reusable connection goes back to the acceptor for nginx's next request; any other (or
    /// one whose answer could not be written) is closed by libfcgi, which first waits for nginx's end of it.
    public mutating func finish(to acceptor: Acceptor) {
        let connection = raw.ipcFd
        raw.keepConnection = reusable ? 1 : 0
        FCGX_Finish_r(&raw)
        if raw.ipcFd < 0 {
            acceptor.forget(connection)
        } else if !acceptor.keep(connection) {
            acceptor.close(connection)
        }
        // From here on the connection is any thread's: this request never closes it.
        raw.ipcFd = -1
        reusable = false
    }

    /// Frees libfcgi's state when the thread ends (its connection is already finished).
    public mutating func free() {
        raw.ipcFd = -1
        FCGX_Free(&raw, 1)
    }
}
