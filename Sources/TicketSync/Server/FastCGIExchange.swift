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
        var params: [String: String] = [:]
        var cursor = raw.envp
        while let entry = cursor?.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                params[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor = cursor?.advanced(by: 1)
        }
        var request = HTTPRequest(method: params["REQUEST_METHOD"] ?? "GET", path: "/")
        let uri = params["REQUEST_URI"] ?? "/"
        let rawPath = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        request.path = params["DOCUMENT_URI"].flatMap { $0.isEmpty ? nil : $0 } ?? rawPath
        request.query = params["QUERY_STRING"] ?? ""
        for (name, value) in params where name.hasPrefix("HTTP_") {
            request.headers[name.dropFirst(5).lowercased().replacingOccurrences(of: "_", with: "-")] = value
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { request.headers["content-type"] = type }

        let announced = params["CONTENT_LENGTH"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        guard announced <= maxBody else {
            request.bodyTooLarge = true // the application answers 413 (after the inbound-closed check)
            return .request(request)
        }
        guard announced > 0 else { return .request(request) }
        var body = [UInt8](repeating: 0, count: announced)
        var filled = 0
        while filled < announced {
            let got = body.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.advanced(by: filled).withMemoryRebound(to: CChar.self, capacity: announced - filled) {
                    FCGX_GetStr($0, Int32(announced - filled), raw.in)
                }
            }
            if got <= 0 { break }
            filled += Int(got)
        }
        guard filled == announced else {
            return .refused(request, APIError(400, "incomplete-body", "The request body ended before Content-Length bytes."))
        }
        request.body = body
        return .request(request)
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
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                _ = FCGX_PutStr($0, Int32(bytes.count), stream)
            }
        }
    }
}
