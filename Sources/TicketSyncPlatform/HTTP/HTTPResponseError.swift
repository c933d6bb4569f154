/// Every error the API reports carries its HTTP status and becomes an RFC 9457 problem document.
public protocol HTTPResponseError: Error {
    var status: Int { get }
    var problem: Problem { get }
    /// Extra response headers, e.g. `Allow` or `WWW-Authenticate`.
    var headers: [(name: String, value: String)] { get }
}

extension HTTPResponseError {
    public var headers: [(name: String, value: String)] { [] }

    public var response: HTTPResponse {
        var response = HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/problem+json")] + headers,
            body: problem.json(status: status).serialized())
        response.problemType = problem.slug
        return response
    }
}

/// An RFC 9457 problem: a stable `type` slug, a short title, a detail for humans and optional extension members.
public struct Problem: Sendable {
    public var slug: String
    public var title: String
    public var detail: String
    public var extensions: [String: JSONValue] = [:]

    public init(slug: String, title: String, detail: String, extensions: [String: JSONValue] = [:]) {
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extensions = extensions
    }

    func json(status: Int) -> JSONValue {
        var members = extensions
        members["type"] = .string("urn:ticketsync:problem:\(slug)")
        members["title"] = .string(title)
        members["status"] = .int(status)
        members["detail"] = .string(detail)
        return .object(members)
    }
}

/// The service's one concrete error type.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public var status: Int
    public var problem: Problem
    public var headers: [(name: String, value: String)]

    public init(
        _ status: Int, _ slug: String, _ detail: String,
        title: String? = nil, extensions: [String: JSONValue] = [:],
        headers: [(name: String, value: String)] = []
    ) {
        self.status = status
        self.problem = Problem(
            slug: slug, title: title ?? HTTPStatus.reason(status), detail: detail, extensions: extensions)
        self.headers = headers
    }

    public var description: String { "\(status) \(problem.slug): \(problem.detail)" }
}
