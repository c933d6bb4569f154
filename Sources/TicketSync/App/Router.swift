import Glibc
import TicketSyncPlatform

/// Matches a method and path against the route table. Paths are split on `/`; `{name}` segments capture.
public struct Router: Sendable {
    public enum Access: Sendable {
        /// No login: health checks, and later the signature-authorized inbound webhook.
        case open
        /// No login; authorized by the HMAC signature over the raw body, which the handler checks before decoding.
        /// Closed (503) unless the source's secret is set, before anything else is looked at.
        case inbound(InboundSource)
        /// No login; a connection's inbound URL: authorized by its token and the signature with its secret, both
        /// checked by the handler before the body is decoded.
        case connectionHook
        /// Any valid bearer token, whatever its orgs (`/api/v1/me`).
        case user
        /// A bearer token whose user holds at least this permission in the path's `{org_id}`.
        case org(OrgPermission)
    }

    public typealias Handler = @Sendable (RequestContext) throws -> HTTPResponse
    /// What a `.org` or `.user` route reads, fused with the caller's authorization into one statement; the handler
    /// finds the rows in `context.rows`.
    public typealias Reader = @Sendable (RequestContext) throws -> ReadQuery

    public struct Route: Sendable {
        public let method: String
        public let pattern: String
        /// Its position in the table (the metrics' series of this route).
        public let index: Int
        let segments: [Substring]
        /// Each segment's bytes, nil for a `{parameter}`: compared with memcmp on the hot path.
        let literals: [[UInt8]?]
        public let access: Access
        let reads: Reader?
        let handler: Handler
    }

    public enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(
        _ method: String, _ pattern: String, _ access: Access, reads: Reader? = nil, _ handler: @escaping Handler
    ) {
        routes.append(
            Route(
                method: method, pattern: pattern, index: routes.count, segments: Self.split(pattern),
                literals: Self.split(pattern).map { Self.isParameter($0) ? nil : Array($0.utf8) }, access: access,
                reads: reads, handler: handler))
    }

    public func match(method: String, path: String) -> Match {
        let segments = Self.split(path)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route, to: segments) else { continue }
            if route.method == method { return .found(route, parameters: parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Empty segments are kept, so `/a//b` and `/a/b/` never match `/a/b`.
    static func split(_ path: String) -> [Substring] {
        // On the UTF-8 bytes: splitting by Character walks grapheme boundaries, which costs more than the routing.
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map {
            Substring($0)
        }
    }

    /// Literal segments are compared first; parameters are collected only for a route that matches.
    private static func bind(_ route: Route, to path: [Substring]) -> [String: String]? {
        guard route.literals.count == path.count else { return nil }
        for (expected, actual) in zip(route.literals, path) {
            guard let expected else {
                if actual.isEmpty { return nil }
                continue
            }
            if !same(expected, actual) { return nil }
        }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(route.segments, path) where isParameter(expected) {
            parameters[String(expected.dropFirst().dropLast())] = String(actual)
        }
        return parameters
    }

    /// Byte equality (no Unicode equivalence: the route literals are ASCII).
    private static func same(_ literal: [UInt8], _ actual: Substring) -> Bool {
        guard literal.count == actual.utf8.count else { return false }
        guard !literal.isEmpty else { return true }
        return actual.utf8.withContiguousStorageIfAvailable { bytes in
            literal.withUnsafeBufferPointer { mine in
                guard let left = mine.baseAddress, let right = bytes.baseAddress else { return false }
                return memcmp(left, right, literal.count) == 0
            }
        } ?? literal.elementsEqual(actual.utf8)
    }

    private static func isParameter(_ segment: Substring) -> Bool {
        segment.utf8.first == UInt8(ascii: "{") && segment.utf8.last == UInt8(ascii: "}")
    }
}
