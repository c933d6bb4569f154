import Foundation

/// Create, read, close and unlink the ticket of one evidence request.
enum TicketRoutes {
    static func read(_ context: RequestContext) throws -> HTTPResponse {
        .json(200, try loadActiveLink(context).link.json)
    }

    /// The provider derives the ticket from the evidence request. The body is empty, `{}`, or names the connection
    /// to use (`{"connection_id": "…"}`); otherwise the org's default connection (or the deployment default) is used.
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request) = try loadEvidenceRequest(context)
        let requested = try requestedConnection(context)
        let config = try context.providers.configForCreate(org: context.orgID, requested: requested, db: db)
        let provider = try context.providers.provider(config)
        let links = TicketLinkStore(db: db)
        // Not the guard (the unique index is); it spares the provider a ticket that could never be linked.
        if try links.active(org: context.orgID, request: request.id) != nil { throw alreadyLinked }
        // No transaction is held open across the provider's call (it may be an HTTP request).
        let ticket = try provider.createTicket(for: request, db: db)
        let link = try links.insert(org: context.orgID, request: request.id, ticket: ticket, connectionID: config.connectionID)
        return .json(201, link.json)
    }

    /// `connection_id` from create's optional body; any other member is refused (422), not silently dropped.
    static func requestedConnection(_ context: RequestContext) throws -> String? {
        guard !context.request.body.isEmpty else { return nil }
        let members = try context.jsonObjectBody()
        if let unknown = members.keys.sorted().first(where: { $0 != "connection_id" }) {
            throw APIError.invalidField(unknown, "`\(unknown)` is not accepted here; the body may only name `connection_id`.")
        }
        switch members["connection_id"] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let id = UUIDText.canonical(text) else {
                throw APIError.invalidField("connection_id", "`connection_id` must be a connection's UUID.")
            }
            return id
        default: throw APIError.invalidField("connection_id", "`connection_id` must be a connection's UUID.")
        }
    }

    /// Marks the link closed and queues `ticket.close` in one transaction, then delivers it at once.
    static func close(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request, link) = try loadActiveLink(context)
        try context.requireNoBody()
        let links = TicketLinkStore(db: db)
        guard !link.isClosed else { throw alreadyClosed }
        try context.providers.provider(context.providers.config(for: link, db: db)).prepareClose(link)
        let eventID = UUID().uuidString.lowercased()
        try db.transaction {
            guard let closed = try links.markClosed(org: context.orgID, id: link.id) else { throw alreadyClosed }
            try OutboxStore(db: db).enqueue(
                link: link, commentID: nil, type: .close, eventID: eventID,
                body: EventPayload.close(eventID: eventID, occurredAt: Timestamp.string(), externalID: link.externalID,
                                         orgID: context.orgID, evidenceRequestID: request.id, closedAt: closed.closedAt ?? ""))
        }
        _ = try context.deliverer(db).deliverNow(eventID: eventID, timeouts: context.settings.inlineTimeouts)
        return .json(200, try links.active(org: context.orgID, request: request.id)!.json)
    }

    /// Re-queues the link's failed events (and their comments) for delivery now, with a fresh attempt budget.
    static func retry(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request, link) = try loadActiveLink(context)
        try context.requireNoBody()
        let links = TicketLinkStore(db: db)
        let requeued = try db.transaction { () throws -> Int in
            try CommentStore(db: db).markRequeued(org: context.orgID, linkID: link.id)
            return try OutboxStore(db: db).requeueFailed(org: context.orgID, linkID: link.id)
        }
        if requeued > 0 { _ = try context.deliverer(db).deliverNext(linkID: link.id, timeouts: context.settings.inlineTimeouts) }
        var response = HTTPResponse.json(200, try links.active(org: context.orgID, request: request.id)!.json)
        response.headers.append(("X-Requeued-Events", String(requeued)))
        return response
    }

    /// Detaches the ticket without closing it; the link is kept as history.
    static func unlink(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request) = try loadEvidenceRequest(context)
        guard try TicketLinkStore(db: db).unlink(org: context.orgID, request: request.id) else { throw noLink }
        return .noContent()
    }

    static let alreadyLinked = APIError.conflict(
        "ticket-already-linked", "This evidence request already has a linked ticket; unlink it first.")
    static let alreadyClosed = APIError.conflict("ticket-already-closed", "The ticket is already closed.")
    static let noLink = APIError.notFound("This evidence request has no linked ticket.")

    /// The path's evidence request and its active link; 404 when either is missing.
    static func loadActiveLink(_ context: RequestContext) throws -> (db: PGConnection, request: EvidenceRequest, link: TicketLink) {
        let (db, request) = try loadEvidenceRequest(context)
        guard let link = try TicketLinkStore(db: db).active(org: context.orgID, request: request.id) else { throw noLink }
        return (db, request, link)
    }
}

/// The evidence request named by the path, in the path's org; another org's request is a 404 like a missing one.
/// Authorization already read it with the token (same org, member only), so this costs no statement.
func loadEvidenceRequest(_ context: RequestContext) throws -> (PGConnection, EvidenceRequest) {
    _ = try context.uuidParameter("request_id")
    guard let request = context.principal?.evidenceRequest else { throw APIError.notFound("No such evidence request.") }
    return (try context.database(), request)
}
