import CFCGI
import Foundation

/// One worker thread's libfcgi request, reused from one connection to the next: the thread takes its turn for a
/// connection, reads the request from it, writes the answer and finishes. The FCGX calls stay in this folder.
public struct FastCGIRequest {
    var raw = FCGX_Request()

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
            let connection = acceptor.next()
            lock.unlock()
            guard let connection else { return false }
            // FCGX_Accept_r reads the request from an open connection instead of accepting one; keepConnection
            // stops it from closing that connection while it finishes the (already finished) previous request.
            raw.ipcFd = connection
            raw.keepConnection = 1
            guard FCGX_Accept_r(&raw) >= 0 else {
                FCGX_Free(&raw, 1)  // the client hung up before a request: close it and wait for the next
                continue
            }
            return true
        }
    }

    /// The accepted request, or why it is refused before it reaches the application.
    public mutating func read(maxBody: Int) -> FastCGIExchange.ReadOutcome {
        FastCGIExchange.read(&raw, maxBody: maxBody)
    }

    /// Writes the answer; `finish` then lets it leave.
    public mutating func write(_ response: HTTPResponse) {
        FastCGIExchange.write(response, to: &raw)
    }

    public mutating func finish() {
        FCGX_Finish_r(&raw)
    }

    /// Closes the connection and frees libfcgi's state, when the thread ends.
    public mutating func free() {
        FCGX_Free(&raw, 1)
    }
}
