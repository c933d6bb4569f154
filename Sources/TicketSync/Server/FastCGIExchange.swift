import CFCGI
import Foundation

/// Reads one accepted FastCGI request into an `HTTPRequest` and writes an `HTTPResponse` back.
/// The FCGX types stay in this file and in `FastCGIServer`.
struct FastCGIExchange {
    enum ReadOutcome {
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
            let value = String(cString: equals + 1)
            if name.starts(with: "HTTP_".utf8) {
                request.headers[headerName(name.dropFirst(5))] = value
                continue
            }
            switch String(decoding: name, as: UTF8.self) {
            case "REQUEST_METHOD": request.method = value
            case "REQUEST_URI": requestURI = value
            case "DOCUMENT_URI": documentURI = value
            case "QUERY_STRING": request.query = value
            case "REQUEST_SCHEME": request.scheme = value
            case "SERVER_PORT": request.serverPort = value
            case "CONTENT_TYPE": if !value.isEmpty { request.headers["content-type"] = value }
            case "CONTENT_LENGTH": contentLength = value
            default: break
            }
        }
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
        var head = "Status: \(response.status) \(HTTPStatus.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        if response.status != 204 { head += "Content-Length: \(response.body.count)\r\n" }
        head += "\r\n"
        put(Array(head.utf8), to: raw.out)
        if response.status != 204 { put(response.body, to: raw.out) }
    }

    private static func put(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress?.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                _ = FCGX_PutStr($0, Int32(bytes.count), stream)
            }
        }
    }
}
