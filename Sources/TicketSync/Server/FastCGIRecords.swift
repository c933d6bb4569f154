import Foundation

/// One whole response as FastCGI records (FastCGI 1.0 §3.3, §5.3, §5.5): the stdout stream in records of at most
/// 65,535 bytes, the empty record that ends it, then FCGI_END_REQUEST; written to the connection with one write.
///
/// Why one write and not libfcgi's 8 KB buffer: nginx without `fastcgi_keep_conn` takes the end of the connection
/// as the end of the response. A worker killed between two partial writes (SIGKILL, the OOM killer) would leave the
/// client a short body under the full Content-Length on a live keep-alive connection, waiting until its own timeout
/// (seen in the scale-out drill). With one write nginx gets either nothing (it answers 502, or a GET goes to the next
/// upstream) or the whole response.
enum FastCGIRecords {
    static let maxContent = 65_535
    static let headerSize = 8

    enum RecordType: UInt8 {
        case endRequest = 3
        case stdout = 6
    }

    /// The records of a response whose stdout is `head` followed by `body`, as one buffer.
    static func response(requestID: UInt16, head: [UInt8], body: [UInt8]) -> [UInt8] {
        var records = [UInt8]()
        records.reserveCapacity(size(of: head) + size(of: body) + trailerSize)
        for content in [head, body] {
            var start = 0
            while start < content.count {
                let end = min(start + maxContent, content.count)
                append(.stdout, requestID: requestID, contentLength: end - start, to: &records)
                records += content[start..<end]  // trap-safe: start < end <= content.count
                start = end
            }
        }
        appendTrailer(requestID: requestID, to: &records)
        return records
    }

    /// Writes the records of `response(requestID:head:body:)` with one writev(2) that points at `head` and `body`
    /// where they are; the record headers and the trailer are built on the stack (no copy, no allocation: this runs
    /// for every request). Only if the kernel takes part of it is the rest written from the flat buffer.
    /// 0, or the errno that stopped it.
    static func write(requestID: UInt16, head: [UInt8], body: [UInt8], to fd: Int32) -> Int32 {
        let records = recordCount(head) + recordCount(body)
        let vectorCount = 2 * records + 1
        guard vectorCount <= maxVectors else {
            return write(response(requestID: requestID, head: head, body: body), to: fd)
        }
        let total = records * headerSize + trailerSize + head.count + body.count
        var failure: Int32 = 0
        let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: records * headerSize + trailerSize) {
            framing in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: vectorCount) { vectors in
                head.withUnsafeBytes { headBytes in
                    body.withUnsafeBytes { bodyBytes -> Int in
                        guard let framingBase = framing.baseAddress, let vectorBase = vectors.baseAddress else {
                            return 0  // never: both capacities are at least one
                        }
                        var filled = 0  // vectors
                        var framed = 0  // framing bytes
                        for content in [headBytes, bodyBytes] {
                            guard let base = content.baseAddress else { continue }  // empty
                            var start = 0
                            while start < content.count {
                                let length = min(maxContent, content.count - start)
                                let header = framingBase + framed
                                putHeader(.stdout, requestID: requestID, contentLength: length, at: header)
                                framed += headerSize
                                (vectorBase + filled).initialize(to: iovec(iov_base: header, iov_len: headerSize))
                                (vectorBase + filled + 1).initialize(
                                    to: iovec(
                                        iov_base: UnsafeMutableRawPointer(mutating: base + start), iov_len: length))
                                filled += 2
                                start += length
                            }
                        }
                        let trailer = framingBase + framed
                        putHeader(.stdout, requestID: requestID, contentLength: 0, at: trailer)
                        putHeader(.endRequest, requestID: requestID, contentLength: 8, at: trailer + headerSize)
                        (trailer + 2 * headerSize).initialize(repeating: 0, count: 8)
                        (vectorBase + filled).initialize(to: iovec(iov_base: trailer, iov_len: trailerSize))
                        filled += 1
                        while true {
                            let result = writev(fd, vectorBase, Int32(filled))
                            if result >= 0 { return result }
                            if errno != EINTR {
                                failure = errno
                                return 0
                            }
                        }
                    }
                }
            }
        }
        if failure != 0 { return failure }
        if written == total { return 0 }
        // The kernel took part of it (a full socket buffer): the rest, from the same bytes laid out flat.
        return write(response(requestID: requestID, head: head, body: body), from: written, to: fd)
    }

    /// Writes `bytes` from `start` on (one write(2) unless the kernel takes less); 0, or the errno that stopped it.
    static func write(_ bytes: [UInt8], from start: Int = 0, to fd: Int32) -> Int32 {
        var written = start
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(fd, base + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if result == 0 { return EPIPE }
            written += result
        }
        return 0
    }

    /// writev takes at most IOV_MAX (1024 on Linux) pieces: about 32 MB of body; more goes out from one buffer.
    private static let maxVectors = 1024
    private static let trailerSize = 2 * headerSize + 8

    /// The empty stdout record that ends the stream, then FCGI_END_REQUEST: appStatus 0 (four bytes),
    /// protocolStatus FCGI_REQUEST_COMPLETE (0), three reserved bytes.
    private static func appendTrailer(requestID: UInt16, to records: inout [UInt8]) {
        append(.stdout, requestID: requestID, contentLength: 0, to: &records)
        append(.endRequest, requestID: requestID, contentLength: 8, to: &records)
        records += [0, 0, 0, 0, 0, 0, 0, 0]
    }

    private static func size(of content: [UInt8]) -> Int { content.count + headerSize * recordCount(content) }

    /// A record header: version 1, type, request id and content length (big-endian), no padding.
    private static func append(
        _ type: RecordType, requestID: UInt16, contentLength: Int, to records: inout [UInt8]
    ) {
        let length = UInt16(clamping: contentLength)
        records += [
            1, type.rawValue, UInt8(requestID >> 8), UInt8(requestID & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF),
            0, 0,
        ]
    }

    /// The same header written into eight bytes at `at`.
    private static func putHeader(
        _ type: RecordType, requestID: UInt16, contentLength: Int, at header: UnsafeMutablePointer<UInt8>
    ) {
        let length = UInt16(clamping: contentLength)
        header.initialize(to: 1)
        (header + 1).initialize(to: type.rawValue)
        (header + 2).initialize(to: UInt8(requestID >> 8))
        (header + 3).initialize(to: UInt8(requestID & 0xFF))
        (header + 4).initialize(to: UInt8(length >> 8))
        (header + 5).initialize(to: UInt8(length & 0xFF))
        (header + 6).initialize(repeating: 0, count: 2)
    }

    private static func recordCount(_ content: [UInt8]) -> Int { (content.count + maxContent - 1) / maxContent }
}
