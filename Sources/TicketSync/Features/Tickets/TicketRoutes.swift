import TicketSyncPlatform

/// Create, read, close, retry and unlink the ticket of one evidence request: parse, call the use case, render.
enum TicketRoutes {
    static func read(_ context: RequestContext) throws -> HTTPResponse {
        _ = try context.evidenceRequest()
        guard let link = try context.rows.first.map(TicketLinkStore.decode) else { throw TicketError.noLink }
        return .json(200, link.json)
    }

    /// The active link, read with the authorization (the read route, and the comment post that pushes to it).
    static func linkQuery(_ context: RequestContext) -> ReadQuery { TicketLinkStore.activeQuery }

    /// The body is empty, `{}`, or names the connection to use (`{"connection_id": "…"}`).
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        let link = try actions.createTicket(
            org: context.org, request: request, connectionID: requestedConnection(context))
        return .json(201, link.json)
    }

    static func close(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        try context.requireNoBody()
        return .json(200, try actions.closeTicket(org: context.org, request: request).json)
    }

    static func retry(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        try context.requireNoBody()
        let (link, requeued) = try actions.retrySync(org: context.org, request: request)
        var response = HTTPResponse.json(200, link.json)
        response.headers.append(("X-Requeued-Events", String(requeued)))
        return response
    }

    static func unlink(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        try actions.unlinkTicket(org: context.org, request: request)
        return .noContent()
    }

    /// `connection_id` from create's optional body; any other member is refused (422), not silently dropped.
    static func requestedConnection(_ context: RequestContext) throws -> ConnectionID? {
        guard !context.request.body.isEmpty else { return nil }
        let members = try context.jsonObjectBody()
        if let unknown = members.keys.sorted().first(where: { $0 != "connection_id" }) {
            throw APIError.invalidField(
                unknown, "`\(unknown)` is not accepted here; the body may only name `connection_id`.")
        }
        switch members["connection_id"] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let id = UUIDText.canonical(text) else {
                throw APIError.invalidField("connection_id", "`connection_id` must be a connection's UUID.")
            }
            return ConnectionID(id)
        default: throw APIError.invalidField("connection_id", "`connection_id` must be a connection's UUID.")
        }
    }
}
