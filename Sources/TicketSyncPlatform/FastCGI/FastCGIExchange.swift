import CFCGI
import Foundation

/// Reads one accepted FastCGI request into an `HTTPRequest` and writes an `HTTPResponse` back.
/// The FCGX types stay in this file and in `FastCGIRequest`.
public struct FastCGIExchange {
    public enum ReadOutcome {
        case request(HTTPRequest)
        /// The body ended before Content-Length bytes: answered 400 without routing.
        case refused(HTTPRequest, APIError)
    }

    static func read(_ raw: inout FCGX_Request, maxBody: Int) -> ReadOutcome {
        var request = HTTPRequest(method: "GET", path: "/")
        var requestURI = "/"
        var documentURI = ""
        var contentLength = ""
        // One pass over the params, converting only what is used (this runs for every request).
        var cursor = raw.envp
        while let entry = cursor?.pointee {
            cursor = cursor?.advanced(by: 1)
            guard let equals = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
            let name = UnsafeRawBufferPointer(start: entry, count: entry.distance(to: equals))
            if isHeader(name) {
                request.headers[headerName(name.dropFirst(5))] = String(cString: equals + 1)
                continue
            }
            // The value becomes a String only for the params used (nginx sends about twenty).
            guard let param = Param(name) else { continue }
            let value = String(cString: equals + 1)
            switch param {
            case .method: request.method = value
            case .requestURI: requestURI = value
            case .documentURI: documentURI = value
            case .query: request.query = value
            case .scheme: request.scheme = value
            case .port: request.serverPort = value
            case .contentType: if !value.isEmpty { request.headers["content-type"] = value }
            case .contentLength: contentLength = value
            case .requestID: if RequestID.isWellFormed(value) { request.requestID = value }
            }
        }
        if request.requestID.isEmpty { request.requestID = RequestID.generate() }
        request.path =
            documentURI.isEmpty
            ? String(requestURI.utf8.prefix { $0 != UInt8(ascii: "?") }) ?? "/"
            : documentURI

        let announced = Int(contentLength) ?? 0
        guard announced <= maxBody else {
            request.bodyTooLarge = true  // the application answers 413 (after the inbound-closed check)
            return .request(request)
        }
        guard announced > 0 else { return .request(request) }
        var body = [UInt8](repeating: 0, count: announced)
        var filled = 0
        while filled < announced {
            let got = body.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return 0 }  // never: announced > 0
                return base.advanced(by: filled).withMemoryRebound(to: CChar.self, capacity: announced - filled) {
                    FCGX_GetStr($0, Int32(announced - filled), raw.in)
                }
            }
            if got <= 0 { break }
            filled += Int(got)
        }
        guard filled == announced else {
            return .refused(
                request, APIError(400, "incomplete-body", "The request body ended before Content-Length bytes."))
        }
        request.body = body
        return .request(request)
    }

    /// Reads the request's input (FCGI_STDIN) to its end, discarding what is left past Content-Length: true when it
    /// ended with its empty record and no error (an FCGI_ABORT_REQUEST or anything but stdin on the way is one).
    static func readToEnd(_ raw: inout FCGX_Request) -> Bool {
        guard let input = raw.in else { return false }
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &scratch) { buffer in
            guard let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) else { return }
            while FCGX_GetStr(base, Int32(buffer.count), input) > 0 {}
        }
        return FCGX_GetError(input) == 0 && FCGX_HasSeenEOF(input) != 0
    }

    /// The FastCGI params the responder reads besides the headers, recognised by their bytes.
    enum Param: CaseIterable {
        case method, requestURI, documentURI, query, scheme, port, contentType, contentLength, requestID

        var name: StaticString {
            switch self {
            case .method: "REQUEST_METHOD"
            case .requestURI: "REQUEST_URI"
            case .documentURI: "DOCUMENT_URI"
            case .query: "QUERY_STRING"
            case .scheme: "REQUEST_SCHEME"
            case .port: "SERVER_PORT"
            case .contentType: "CONTENT_TYPE"
            case .contentLength: "CONTENT_LENGTH"
            case .requestID: "TICKETSYNC_REQUEST_ID"
            }
        }

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard
                let found = Self.allCases.first(where: { param in
                    param.name.utf8CodeUnitCount == bytes.count
                        && param.name.withUTF8Buffer { $0.elementsEqual(bytes) }
                })
            else { return nil }
            self = found
        }
    }

    /// `HTTP_…`: a request header (compared as five bytes; this runs for every param of every request).
    private static func isHeader(_ name: UnsafeRawBufferPointer) -> Bool {
        name.count > 5 && name[0] == UInt8(ascii: "H") && name[1] == UInt8(ascii: "T")  // trap-safe: count > 5
            && name[2] == UInt8(ascii: "T") && name[3] == UInt8(ascii: "P")  // trap-safe: count > 5
            && name[4] == UInt8(ascii: "_")  // trap-safe: count > 5
    }

    /// `X_SIGNATURE` → `x-signature`.
    private static func headerName(_ bytes: UnsafeRawBufferPointer.SubSequence) -> String {
        String(
            decoding: bytes.map { byte -> UInt8 in
                switch byte {
                case UInt8(ascii: "_"): UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
                default: byte
                }
            }, as: UTF8.self)
    }

    static func write(_ response: HTTPResponse, to raw: inout FCGX_Request) {
        // Written as bytes into one buffer: no intermediate strings.
        var head = [UInt8]()
        head.reserveCapacity(256)
        head += "Status: ".utf8
        head += String(response.status).utf8
        head.append(UInt8(ascii: " "))
        head += HTTPStatus.reason(response.status).utf8
        head += "\r\n".utf8
        for (name, value) in response.headers {
            head += name.utf8
            head += ": ".utf8
            head += value.utf8
            head += "\r\n".utf8
        }
        if response.status != 204 {
            head += "Content-Length: ".utf8
            head += String(response.body.count).utf8
            head += "\r\n".utf8
        }
        head += "\r\n".utf8
        // The whole response in one write, records and end included (FastCGIRecords says why).
        let failure = FastCGIRecords.write(
            requestID: UInt16(truncatingIfNeeded: raw.requestId), head: head,
            body: response.status == 204 ? [] : response.body, to: raw.ipcFd)
        // libfcgi's streams count as closed, so FCGX_Finish_r adds no records of its own after FCGI_END_REQUEST;
        // a failed write makes it close the connection.
        for stream in [raw.out, raw.err] {
            guard let stream else { continue }
            stream.pointee.wasFCloseCalled = 1
            stream.pointee.isClosed = 1
            if failure != 0 { stream.pointee.FCGI_errno = failure }
        }
    }
}
