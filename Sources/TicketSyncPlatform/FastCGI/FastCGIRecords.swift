import Foundation

/// One whole response as FastCGI records (FastCGI 1.0 §3.3, §5.3, §5.5): the stdout stream in records of at most
/// 65,535 bytes, the empty record that ends it, then FCGI_END_REQUEST; written to the connection with one writev.
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

    /// Writes the records of a response whose stdout is `head` followed by `body`. The vectors point at `head` and
    /// `body` where they are; record headers and the trailer are built on the stack (no copy, no allocation: this
    /// runs for every request). 0, or the errno that stopped it.
    static func write(requestID: UInt16, head: [UInt8], body: [UInt8], to fd: Int32) -> Int32 {
        let records = recordCount(head) + recordCount(body)
        let vectorCount = 2 * records + 1
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: records * headerSize + trailerSize) {
            framing in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: vectorCount) { vectors in
                head.withUnsafeBytes { headBytes in
                    body.withUnsafeBytes { bodyBytes -> Int32 in
                        guard let framingBase = framing.baseAddress, let vectorBase = vectors.baseAddress else {
                            return EINVAL  // never: both capacities are at least one
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
                        // appStatus 0 (four bytes), protocolStatus FCGI_REQUEST_COMPLETE (0), three reserved bytes.
                        (trailer + 2 * headerSize).initialize(repeating: 0, count: 8)
                        (vectorBase + filled).initialize(to: iovec(iov_base: trailer, iov_len: trailerSize))
                        filled += 1
                        return writeAll(UnsafeMutableBufferPointer(start: vectorBase, count: filled), to: fd)
                    }
                }
            }
        }
    }

    /// writev until every vector is written: one call for any usual response; the kernel taking part of it (a full
    /// socket buffer) resumes where it stopped, and more than IOV_MAX vectors (a body over 32 MB) go in turns.
    private static func writeAll(_ vectors: UnsafeMutableBufferPointer<iovec>, to fd: Int32) -> Int32 {
        guard let base = vectors.baseAddress else { return 0 }
        var next = 0
        while next < vectors.count {
            let result = writev(fd, base + next, Int32(min(maxVectors, vectors.count - next)))
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if result == 0 { return EPIPE }
            // Skip the vectors written whole; the one written in part starts after its written bytes.
            var left = result
            while next < vectors.count, left >= (base + next).pointee.iov_len {
                left -= (base + next).pointee.iov_len
                next += 1
            }
            if left > 0, next < vectors.count {
                (base + next).pointee.iov_base += left
                (base + next).pointee.iov_len -= left
            }
        }
        return 0
    }

    /// writev takes at most IOV_MAX (1024 on Linux) vectors a call.
    private static let maxVectors = 1024
    private static let trailerSize = 2 * headerSize + 8

    /// A record header at `header`: version 1, type, request id and content length (big-endian), no padding.
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
