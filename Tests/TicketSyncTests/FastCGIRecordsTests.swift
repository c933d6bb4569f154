import CFCGI
import Foundation
import Synchronization
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// A FastCGI record as read back: type, request id, content.
private struct Record: Equatable {
    var type: UInt8
    var requestID: UInt16
    var content: [UInt8]
}

/// Splits a byte stream into records (header, content, padding); nil when it is not a whole number of records.
private func parseRecords(_ bytes: [UInt8]) -> [Record]? {
    var records = [Record]()
    var at = 0
    while at < bytes.count {
        guard bytes.count - at >= 8, bytes[at] == 1 else { return nil }
        let length = Int(bytes[at + 4]) << 8 | Int(bytes[at + 5])
        let padding = Int(bytes[at + 6])
        guard bytes.count - at - 8 >= length + padding else { return nil }
        records.append(
            Record(
                type: bytes[at + 1], requestID: UInt16(bytes[at + 2]) << 8 | UInt16(bytes[at + 3]),
                content: Array(bytes[(at + 8)..<(at + 8 + length)])))
        at += 8 + length + padding
    }
    return records
}

private func header(_ type: UInt8, id: UInt16, length: Int) -> [UInt8] {
    [1, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF), 0, 0]
}

/// Reads `fd` to its end on a thread, then closes it (as nginx does; libfcgi waits for that when it finishes);
/// the returned function waits for that and gives what arrived.
private func reading(_ fd: Int32) -> () -> [UInt8] {
    let received = Mutex<[UInt8]>([])
    let done = DispatchSemaphore(value: 0)
    Thread {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while case let count = read(fd, &chunk, chunk.count), count > 0 {
            received.withLock { $0 += chunk[0..<count] }
        }
        close(fd)
        done.signal()
    }.start()
    return {
        done.wait()
        return received.withLock { $0 }
    }
}

/// Runs `write` on one end of a socket pair while the other is read to its end; what arrived, and the result.
private func readWhileWriting(_ write: (Int32) -> Int32) -> ([UInt8], Int32) {
    var pair: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { return ([], errno) }
    let received = reading(pair[0])
    let result = write(pair[1])
    close(pair[1])
    return (received(), result)
}

/// What `FastCGIRecords.write` sends for a response, read back from a socket pair and split into records.
private func written(requestID: UInt16, head: [UInt8], body: [UInt8]) -> [Record]? {
    let (received, failure) = readWhileWriting { fd in
        FastCGIRecords.write(requestID: requestID, head: head, body: body, to: fd)
    }
    return failure == 0 ? parseRecords(received) : nil
}

@Suite struct FastCGIRecordsTests {
    /// Many records and more than the socket buffer holds (the peer reads while it is written).
    @Test func aLargeResponseIsSplitIntoRecordsEndedByAnEmptyStdoutAndEndRequest() throws {
        let head = Array("Status: 200 OK\r\nContent-Length: 1000000\r\n\r\n".utf8)
        let body = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let records = try #require(written(requestID: 513, head: head, body: body))

        #expect(records.allSatisfy { $0.requestID == 513 })
        #expect(records.allSatisfy { $0.content.count <= 65_535 })
        let stdout = records.dropLast(2)
        #expect(stdout.allSatisfy { $0.type == 6 && !$0.content.isEmpty })
        #expect(stdout.flatMap(\.content) == head + body)
        #expect(records.dropLast().last == Record(type: 6, requestID: 513, content: []))
        #expect(records.last == Record(type: 3, requestID: 513, content: [0, 0, 0, 0, 0, 0, 0, 0]))
    }

    @Test func anEmptyBodyAddsNoEmptyRecordBeforeTheEnd() throws {
        let records = try #require(written(requestID: 1, head: Array("Status: 204\r\n\r\n".utf8), body: []))
        #expect(records.map(\.type) == [6, 6, 3])
        #expect(records.map(\.content.count) == [15, 0, 8])
    }

    /// More records than one writev takes (IOV_MAX vectors): written in turns, every byte in order. (Results are
    /// compared as values first: a failure must not print 34 MB.)
    @Test func aBodyOverIOVMaxVectorsIsWrittenInTurns() throws {
        var body = [UInt8](repeating: 7, count: 520 * 65_535 + 1)  // 521 records: 1,045 vectors with head's
        body[0] = 1
        body[body.count / 2] = 2
        body[body.count - 1] = 3
        let result = written(requestID: 3, head: Array("Status: 200 OK\r\n\r\n".utf8), body: body)
        let records = try #require(result)
        #expect(records.count == 1 + 521 + 2)
        let bodyArrivedInOrder = records.dropFirst().dropLast(2).flatMap(\.content) == body
        #expect(bodyArrivedInOrder)
        #expect(records.last?.type == 3)
    }

    /// Through libfcgi: a request read by FCGX_Accept_r, answered by `FastCGIExchange.write`, finished by
    /// FCGX_Finish_r. The peer reads exactly the response's records, nothing after FCGI_END_REQUEST, then the end of
    /// the connection (nginx's BEGIN_REQUEST without FCGI_KEEP_CONN).
    @Test func libfcgiAddsNothingAfterTheResponsesOwnEndRecord() throws {
        #expect(FCGX_Init() == 0)
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let (peer, server) = (pair[0], pair[1])

        let id: UInt16 = 7
        var params = [UInt8]()
        for (name, value) in [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/healthz")] {
            params += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8)
        }
        var request = header(1, id: id, length: 8) + [0, 1, 0, 0, 0, 0, 0, 0]  // responder role, no keep-conn
        request += header(4, id: id, length: params.count) + params + header(4, id: id, length: 0)
        request += header(5, id: id, length: 0)
        #expect(Glibc.write(peer, request, request.count) == request.count)

        let received = reading(peer)
        var raw = FCGX_Request()
        FCGX_InitRequest(&raw, -1, 0)
        raw.ipcFd = server
        raw.keepConnection = 1
        #expect(FCGX_Accept_r(&raw) >= 0)
        let body = Array(repeating: UInt8(ascii: "x"), count: 20_000)  // over libfcgi's own 8 KB buffer
        FastCGIExchange.write(HTTPResponse(status: 200, headers: [], body: body), to: &raw)
        FCGX_Finish_r(&raw)

        let records = try #require(parseRecords(received()))
        #expect(records.last?.type == 3)
        #expect(records.filter { $0.type == 3 }.count == 1)
        #expect(records.allSatisfy { $0.type == 6 || $0.type == 3 })
        let stdout = records.filter { $0.type == 6 }.flatMap(\.content)
        #expect(String(decoding: stdout, as: UTF8.self).hasPrefix("Status: 200 OK\r\n"))
        #expect(Array(stdout.suffix(body.count)) == body)
    }
}
