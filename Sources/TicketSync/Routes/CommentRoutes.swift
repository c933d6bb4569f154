import Foundation

/// The comment thread of an evidence request, and posting internal comments to it.
enum CommentRoutes {
    static func thread(_ context: RequestContext) throws -> HTTPResponse {
        let (db, request) = try loadEvidenceRequest(context)
        let comments = try CommentStore(db: db).thread(org: context.orgID, request: request.id)
        return .json(200, .object(["comments": .array(comments.map(\.json))]))
    }

    /// Records an internal comment; when an open ticket is linked, pushes it to the provider in the same
    /// transaction, stamps the provider's comment id on it and stores the provider's echo, if any.
    static func post(_ context: RequestContext) throws -> HTTPResponse {
        let body = try validatedBody(context.jsonObjectBody())
        let (db, request) = try loadEvidenceRequest(context)
        guard let principal = context.principal else { throw APIError.unauthorized }
        let link = try TicketLinkStore(db: db).active(org: context.orgID, request: request.id).flatMap { $0.isClosed ? nil : $0 }
        // Resolve the provider before writing anything: an unconfigured one answers 503 and stores nothing.
        let provider = try link.map { try context.providers.provider(named: $0.provider) }
        let comments = CommentStore(db: db)
        let (comment, echo) = try db.transaction { () throws -> (Comment, Comment?) in
            let stored = try comments.insertInternal(
                org: context.orgID, request: request.id, authorID: principal.userID,
                author: principal.displayName, body: body, syncState: link == nil ? nil : "pending")
            guard let link, let provider else { return (stored, nil) }
            let pushed = try provider.pushComment(stored, to: link)
            let synced = try comments.markSynced(org: context.orgID, id: stored.id, externalCommentID: pushed.externalCommentID)
            let echo = try pushed.echo.flatMap {
                try comments.insertExternal(org: context.orgID, request: request.id, author: $0.author,
                                            body: $0.body, externalCommentID: $0.externalCommentID)
            }
            return (synced, echo)
        }
        return .json(201, .object(["comment": comment.json, "echo": echo?.json ?? .null]))
    }

    /// `body` must be a string that is not blank, has no NUL, and is at most 10,000 characters.
    static func validatedBody(_ members: [String: JSONValue]) throws -> String {
        guard let value = members["body"] else { throw APIError.invalidField("body", "`body` is required.") }
        guard case .string(let text) = value else { throw APIError.invalidField("body", "`body` must be a string.") }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalidField("body", "`body` must not be empty.")
        }
        guard text.count <= Comment.maxBodyLength else {
            throw APIError.invalidField("body", "`body` must be at most \(Comment.maxBodyLength) characters.")
        }
        guard !text.unicodeScalars.contains("\u{0}") else {
            throw APIError.invalidField("body", "`body` must not contain NUL characters.")
        }
        return text
    }
}
