import Foundation

/// The comment thread of an evidence request, and posting internal comments to it.
enum CommentRoutes {
    static func thread(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request) = try loadEvidenceRequest(context)
        let comments = try CommentStore(db: db).thread(org: context.orgID, request: request.id)
        return .json(200, .object(["comments": .array(comments.map(\.json))]))
    }

    /// Records an internal comment. When an open ticket is linked, its `ticket.comment` event is written to the
    /// outbox in the same transaction, then delivered at once within a short timeout: the answer says `synced`
    /// (with the provider's comment id, and the mock's echo) or `pending` (the delivery loop retries).
    static func post(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request) = try loadEvidenceRequest(context)
        let body = try validatedBody(context.jsonObjectBody())
        guard let principal = context.principal else { throw APIError.unauthorized }
        let link = try TicketLinkStore(db: db).active(org: context.orgID, request: request.id).flatMap { $0.isClosed ? nil : $0 }
        // Resolve the provider before writing anything: an unconfigured one answers 503 and stores nothing.
        if let link { _ = try context.providers.provider(context.providers.config(for: link, db: db)) }
        let comments = CommentStore(db: db)
        let eventID = UUID().uuidString.lowercased()
        let stored = try db.transaction { () throws -> Comment in
            let comment = try comments.insertInternal(
                org: context.orgID, request: request.id, authorID: principal.userID,
                author: principal.displayName, body: body, syncState: link == nil ? nil : "pending")
            if let link {
                try OutboxStore(db: db).enqueue(
                    link: link, commentID: comment.id, type: .comment, eventID: eventID,
                    body: EventPayload.comment(eventID: eventID, occurredAt: Timestamp.string(), externalID: link.externalID,
                                               orgID: context.orgID, evidenceRequestID: request.id, comment: comment))
            }
            return comment
        }
        guard link != nil else { return .json(201, .object(["comment": stored.json, "echo": .null])) }
        let echo = try context.deliverer(db).deliverNow(eventID: eventID, timeouts: context.settings.inlineTimeouts)
        let current = try comments.find(org: context.orgID, id: stored.id) ?? stored
        return .json(201, .object(["comment": current.json, "echo": echo?.json ?? .null]))
    }

    /// `body` must be a string that is not blank, has no NUL, and is at most 10,000 characters.
    static func validatedBody(_ members: [String: JSONValue]) throws -> String {
        try CommentText.validated(members["body"], field: "body")
    }
}

/// The rules every comment body follows, internal or arriving from a tracker.
enum CommentText {
    static func validated(_ value: JSONValue?, field: String) throws -> String {
        guard let value else { throw APIError.invalidField(field, "`\(field)` is required.") }
        guard case .string(let text) = value else { throw APIError.invalidField(field, "`\(field)` must be a string.") }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalidField(field, "`\(field)` must not be empty.")
        }
        // Counted in Unicode code points, as JSON Schema's maxLength counts (openapi.yaml).
        guard text.unicodeScalars.count <= Comment.maxBodyLength else {
            throw APIError.invalidField(field, "`\(field)` must be at most \(Comment.maxBodyLength) characters.")
        }
        guard !text.unicodeScalars.contains("\u{0}") else {
            throw APIError.invalidField(field, "`\(field)` must not contain NUL characters.")
        }
        return text
    }
}
