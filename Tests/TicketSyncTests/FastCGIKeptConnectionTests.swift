import CFCGI
import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Requests on one kept FastCGI connection (FCGI_KEEP_CONN), read by libfcgi through `FastCGIRequest`, the peer
/// playing nginx on a socket pair: each request's input is read to its end before it is answered, a record left of
/// and an aborted or cut request ends the connection instead of leaving it out of step.
@Suite(.serialized) struct FastCGIKeptConnectionTests {
    private static func record(_ type: UInt8, id: UInt16, _ content: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = [1, type, UInt8(id >> 8), UInt8(id & 0xFF)]
        bytes += [UInt8(content.count >> 8), UInt8(content.count & 0xFF), 0, 0] + content
        return bytes
    }

    /// BEGIN_REQUEST (responder, keep-conn flag as asked), the params, then the body in stdin records unless
    /// `endInput` is false.
    private static func request(id: UInt16, keep: Bool, method: String, body: [UInt8], endInput: Bool = true)
        -> [UInt8]
    {
        var params = [UInt8]()
        let pairs = [
            ("REQUEST_METHOD", method), ("REQUEST_URI", "/r/\(id)"), ("CONTENT_LENGTH", String(body.count)),
            ("TICKETSYNC_REQUEST_ID", "request-\(id)"),
        ]
        for (name, value) in pairs {
            params += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8)
        }
        var bytes = record(1, id: id, [0, 1, keep ? 1 : 0, 0, 0, 0, 0, 0])
        bytes += record(4, id: id, params) + record(4, id: id)
        var start = 0
        while start < body.count {
            let end = min(body.count, start + 60_000)
            bytes += record(5, id: id, Array(body[start..<end]))
            start = end
        }
        if endInput { bytes += record(5, id: id) }
        return bytes
    }

    /// A connected pair (peer, server) and an acceptor the server's requests finish to (its "listening socket" is a
    /// pipe nobody writes to).
    private final class Harness {
        let peer: Int32
        let server: Int32
        let acceptor: Acceptor
        private let pipeFDs: [Int32]

        init() throws {
            #expect(FCGX_Init() == 0)
            var pair: [Int32] = [-1, -1]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            peer = pair[0]
            server = pair[1]
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            pipeFDs = fds
            acceptor = try Acceptor(listenFD: fds[0])
        }

        deinit {
            close(peer)
            pipeFDs.forEach { close($0) }
        }

        func send(_ bytes: [UInt8]) {
            #expect(write(peer, bytes, bytes.count) == bytes.count)
        }

        /// The records of one answer, up to its FCGI_END_REQUEST: (request id, stdout text).
        func answer() -> (id: UInt16, stdout: String)? {
            var stdout = [UInt8]()
            while true {
                guard let header = readExactly(8) else { return nil }
                let length = Int(header[4]) << 8 | Int(header[5])
                guard let content = readExactly(length + Int(header[6])) else { return nil }
                let id = UInt16(header[2]) << 8 | UInt16(header[3])
                if header[1] == 3 { return (id, String(decoding: stdout, as: UTF8.self)) }
                stdout += content.prefix(length)
            }
        }

        /// True when the server closed its end (the peer reads the end of the stream).
        func closedByServer() -> Bool {
            var byte: UInt8 = 0
            return read(peer, &byte, 1) == 0
        }

        private func readExactly(_ count: Int) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                    guard let base = buffer.baseAddress else { return -1 }
                    return read(peer, base + filled, count - filled)
                }
                guard got > 0 else { return nil }
                filled += got
            }
            return bytes
        }
    }

    /// Serves one request already sent on `harness`'s connection: what the application saw, and whether the
    /// connection was kept.
    private static func serve(_ harness: Harness, _ fastCGI: inout FastCGIRequest) -> (HTTPRequest?, Bool) {
        guard fastCGI.begin(on: harness.server) else { return (nil, false) }
        let outcome = fastCGI.read(maxBody: 1 << 20)
        let request: HTTPRequest
        switch outcome {
        case .request(let read): request = read
        case .refused(let read, _): request = read
        }
        let kept = fastCGI.reusable
        fastCGI.write(HTTPResponse(status: 200, headers: [], body: Array("answer \(request.path)".utf8)))
        fastCGI.finish(to: harness.acceptor)
        return (request, kept)
    }

    @Test func requestsFollowOneAnotherOnAKeptConnectionWhateverTheirBodies() throws {
        let harness = try Harness()
        var fastCGI = FastCGIRequest()
        // Bodies whose end record lands in libfcgi's first 8 KB read, in a later one, or just past the last one
        // (the request's bytes before it a multiple of libfcgi's 8,192-byte reads: nothing reads it but us).
        let boundary = try #require(
            (8_000..<8_400).first { size in
                (Self.request(id: 4, keep: true, method: "POST", body: Array(repeating: 0, count: size)).count - 8)
                    % 8_192 == 0
            })
        for (id, size) in [(1, 0), (2, 8_150), (3, 8_170), (4, boundary), (5, 70_000), (6, 3)] as [(UInt16, Int)] {
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 253) }
            harness.send(Self.request(id: id, keep: true, method: size == 0 ? "GET" : "POST", body: body))
            let (request, kept) = Self.serve(harness, &fastCGI)
            #expect(request?.path == "/r/\(id)")
            #expect(request?.body == body)
            #expect(request?.requestID == "request-\(id)")
            #expect(kept)
            let answer = try #require(harness.answer())
            #expect(answer.id == id)
            #expect(answer.stdout.hasSuffix("answer /r/\(id)"))
        }
    }

    /// nginx never sends FCGI_ABORT_REQUEST (it closes the connection instead). From another web server, one that
    /// crossed the answer is read by libfcgi as the start of the next request, which it refuses (a zero-length
    /// record it skips leaves it skipping the next record's content too): the connection is closed, never answered
    /// out of step.
    @Test func anAbortThatCrossedTheAnswerEndsTheConnectionWithoutAnAnswerOutOfStep() throws {
        let harness = try Harness()
        var fastCGI = FastCGIRequest()
        harness.send(Self.request(id: 1, keep: true, method: "GET", body: []))
        #expect(Self.serve(harness, &fastCGI).1)
        #expect(harness.answer()?.id == 1)
        harness.send(Self.record(2, id: 1) + Self.request(id: 2, keep: true, method: "GET", body: []))
        shutdown(harness.peer, Int32(SHUT_WR))  // libfcgi's close waits for the peer's end
        let (request, _) = Self.serve(harness, &fastCGI)
        #expect(request == nil)
        #expect(harness.closedByServer())
    }

    @Test func anAbortBeforeTheInputEndsClosesTheConnectionAfterTheAnswer() throws {
        let harness = try Harness()
        var fastCGI = FastCGIRequest()
        var bytes = Self.request(id: 1, keep: true, method: "POST", body: Array("{}".utf8), endInput: false)
        bytes += Self.record(2, id: 1)  // nginx gave up on it before the input's end
        harness.send(bytes)
        let (_, kept) = Self.serve(harness, &fastCGI)
        #expect(!kept)
        #expect(harness.answer()?.id == 1)
        #expect(harness.closedByServer())
    }

    @Test func aBodyCutShortClosesTheConnection() throws {
        let harness = try Harness()
        var fastCGI = FastCGIRequest()
        var bytes = Self.request(id: 1, keep: true, method: "POST", body: Array("{}".utf8), endInput: false)
        bytes = Array(bytes.dropLast(1))  // the last body byte never comes: the peer closes its writing side
        harness.send(bytes)
        shutdown(harness.peer, Int32(SHUT_WR))
        let (_, kept) = Self.serve(harness, &fastCGI)
        #expect(!kept)
        #expect(harness.answer()?.stdout.hasPrefix("Status: 200") == true)
        #expect(harness.closedByServer())
    }

    @Test func withoutKeepConnTheConnectionIsClosedAfterTheAnswer() throws {
        let harness = try Harness()
        var fastCGI = FastCGIRequest()
        harness.send(Self.request(id: 1, keep: false, method: "GET", body: []))
        shutdown(harness.peer, Int32(SHUT_WR))  // as nginx does once it has its answer: libfcgi's close waits for it
        let (request, kept) = Self.serve(harness, &fastCGI)
        #expect(request?.path == "/r/1")
        #expect(!kept)
        #expect(harness.answer()?.id == 1)
        #expect(harness.closedByServer())
    }
}
