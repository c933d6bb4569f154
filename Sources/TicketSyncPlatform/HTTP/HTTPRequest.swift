import Foundation

/// A request as the responder received it from nginx: the raw body is kept as bytes
/// so that signatures can be checked before anything is decoded.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var query: String
    /// Header names in lower case (`authorization`, `content-type`, `x-signature`, …).
    public var headers: [String: String]
    public var body: [UInt8]
    /// `http` or `https`, as nginx saw it (REQUEST_SCHEME): for URLs the service hands out.
    public var scheme = "http"
    /// The port nginx accepted the request on (SERVER_PORT): Debian's fastcgi_params passes the host without it.
    public var serverPort = ""

    /// `scheme://host[:port]` as the client reached nginx, for URLs handed out when PUBLIC_BASE_URL is not set.
    public var origin: String {
        let host = header("host") ?? "localhost"
        let standard = (scheme == "https" && serverPort == "443") || (scheme == "http" && serverPort == "80")
        let hasPort = host.hasPrefix("[") ? host.contains("]:") : host.contains(":")
        return "\(scheme)://\(host)" + (hasPort || standard || serverPort.isEmpty ? "" : ":\(serverPort)")
    }
    /// Content-Length was over the cap: the body was not read, and the request answers 413.
    public var bodyTooLarge = false
    /// nginx's `$request_id` (or a trusted proxy's, see nginx/ticketsync-limits.conf); one is made when none came.
    public var requestID = ""

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// True for `application/json` and `application/*+json`, with or without parameters.
    public var hasJSONContentType: Bool {
        guard let value = header("content-type") else { return false }
        let mediaType =
            value.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}
