import Foundation

/// One HTTP request to a tracker or a webhook endpoint.
public struct OutboundRequest: Sendable {
    public var url: URL
    public var method: String
    public var headers: [String: String]
    public var body: [UInt8]
    /// Set for org-supplied URLs: the call connects only to addresses this guard approved. Nil for the deployment
    /// default's URLs, which the operator set and are trusted as they are.
    public var guarded: OutboundGuard?

    public init(
        url: URL, method: String, headers: [String: String] = [:], body: [UInt8] = [],
        guarded: OutboundGuard? = nil
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.guarded = guarded
    }
}

/// What came back: a response of any status (redirects are never followed), or a transport failure.
public enum OutboundResult: Sendable, Equatable {
    case response(status: Int, headers: [String: String], body: [UInt8])
    /// Connection refused, DNS failure, timeout…: the reason in words.
    case failure(String)

    public var status: Int? {
        if case .response(let status, _, _) = self { return status }
        return nil
    }

    public func header(_ name: String) -> String? {
        if case .response(_, let headers, _) = self { return headers[name.lowercased()] }
        return nil
    }

    public var body: [UInt8] {
        if case .response(_, _, let body) = self { return body }
        return []
    }

    /// The response body as a JSON object, if it is one.
    public var jsonObject: [String: JSONValue]? {
        guard case .object(let members)? = try? JSONParser.parse(body) else { return nil }
        return members
    }

    /// A short description for `last_error` and problem details; never includes the body.
    public var summary: String {
        switch self {
        case .response(let status, _, _): "HTTP \(status)"
        case .failure(let reason): reason
        }
    }
}

/// Sends requests synchronously (the caller is a worker or delivery thread) with a connect and a total timeout.
public protocol OutboundHTTP: Sendable {
    func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult
}

public struct HTTPTimeouts: Sendable, Equatable {
    /// Applies to connecting and to any silence while waiting for the response.
    public var connect: TimeInterval
    /// The whole exchange.
    public var total: TimeInterval

    public init(connect: TimeInterval, total: TimeInterval) {
        self.connect = connect
        self.total = total
    }

    /// Whole milliseconds for libcurl, at least 1, clamped to a day (never a trapping conversion).
    static func milliseconds(_ seconds: TimeInterval) -> Int {
        let value = (seconds * 1000).rounded(.up)
        guard value.isFinite, value >= 1 else { return 1 }
        return Int(exactly: min(value, 86_400_000)) ?? 86_400_000
    }

    /// The total timeout in whole seconds (rounded up), for leases and grace periods.
    public var totalSeconds: Int { Self.milliseconds(total) / 1000 + (Self.milliseconds(total) % 1000 == 0 ? 0 : 1) }
}
