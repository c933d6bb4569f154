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

    /// The records of a response whose stdout is `head` followed by `body`.
    static func response(requestID: UInt16, head: [UInt8], body: [UInt8]) -> [UInt8] {
        var records = [UInt8]()
        records.reserveCapacity(size(of: head) + size(of: body) + 2 * headerSize + 8)
        append(stdout: head, requestID: requestID, to: &records)
        append(stdout: body, requestID: requestID, to: &records)
        append(.stdout, requestID: requestID, contentLength: 0, to: &records)  // the end of stdout
        append(.endRequest, requestID: requestID, contentLength: 8, to: &records)
        // appStatus 0 (four bytes), protocolStatus FCGI_REQUEST_COMPLETE (0), three reserved bytes.
        records += [0, 0, 0, 0, 0, 0, 0, 0]
        return records
    }

    /// Writes all of `bytes` (one write(2) unless the kernel takes less); 0, or the errno that stopped it.
    static func write(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        var written = 0
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

    private static func size(of content: [UInt8]) -> Int {
        content.count + headerSize * ((content.count + maxContent - 1) / maxContent)
    }

    private static func append(stdout content: [UInt8], requestID: UInt16, to records: inout [UInt8]) {
        var start = 0
        while start < content.count {
            let end = min(start + maxContent, content.count)
            append(.stdout, requestID: requestID, contentLength: end - start, to: &records)
            records += content[start..<end]  // trap-safe: start < end <= content.count
            start = end
        }
    }

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
}
