/// The comment thread of an evidence request, and posting internal comments to it.
enum CommentRoutes {
    static func thread(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        let comments = try CommentStore(db: actions.db).thread(org: context.orgID, request: request.id)
        return .json(200, .object(["comments": .array(comments.map(\.json))]))
    }

    /// 201 with the stored comment (`synced` or `pending` when a ticket is linked) and the tracker's echo, if any.
    static func post(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        let body = try validatedBody(context.jsonObjectBody())
        guard let principal = context.principal else { throw APIError.unauthorized }
        let posted = try actions.postComment(org: context.orgID, request: request, author: principal, body: body)
        return .json(201, .object(["comment": posted.comment.json, "echo": posted.echo?.json ?? .null]))
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
