import TicketSyncPlatform

/// The comment thread of an evidence request, and posting internal comments to it.
enum CommentRoutes {
    static let defaultLimit = 100
    static let maxLimit = 200

    /// One page of the thread, oldest first, by keyset: the first page; `cursor` (the comments after a page, also
    /// what polling asks for: only what is new); `before` (the page before one); or `newest=true` (the last page).
    /// `next_cursor` is the position after the page's last comment (for the next page, or for polling),
    /// `has_more` says whether comments follow it now, and `previous_cursor` (null at the start) reaches back.
    static func thread(_ context: RequestContext) throws -> HTTPResponse {
        _ = try context.evidenceRequest()
        let page = try ThreadPageRequest(query: context.request.query)
        let fetched = CommentRows(context.rows)
        // Thread order, oldest first: a backward page is read newest first. The order is checked, not assumed.
        var order = Array(0..<fetched.count)
        switch page.slice {
        case .before, .newest: order.reverse()
        case .first, .after: break
        }
        if zip(order, order.dropFirst()).contains(where: { !fetched.precedes($0, $1) }) {
            order.sort(by: fetched.precedes)
        }
        // One more than asked says whether the page is the last in its direction.
        let limit = page.limit
        let overflow = order.count > limit
        let shown: [Int]
        let hasMore: Bool
        let olderExist: Bool
        switch page.slice {
        case .first, .after:
            shown = Array(order.prefix(limit))
            hasMore = overflow
            olderExist = page.after != nil
        case .before, .newest:
            shown = Array(order.suffix(limit))
            hasMore = page.before != nil
            olderExist = overflow
        }
        let next = shown.last.map(fetched.position)?.encoded ?? page.after?.encoded
        return .json(
            200,
            .object([
                "comments": .array(try shown.map(fetched.json)),
                "next_cursor": .optional(next),
                "has_more": .bool(hasMore),
                "previous_cursor": .optional(olderExist ? shown.first.map(fetched.position)?.encoded : nil),
            ]))
    }

    /// The thread's rows, read with the authorization (one more than the page holds).
    static func threadQuery(_ context: RequestContext) throws -> ReadQuery {
        let page = try ThreadPageRequest(query: context.request.query)
        return CommentStore.pageQuery(slice: page.slice, limit: page.limit + 1)
    }

    /// 201 with the stored comment (`synced` or `pending` when a ticket is linked) and the tracker's echo, if any.
    static func post(_ context: RequestContext) throws -> HTTPResponse {
        let (actions, request) = try context.syncActions()
        let body = try validatedBody(context.jsonObjectBody())
        guard let principal = context.principal else { throw APIError.unauthorized }
        let link = try context.rows.first.map(TicketLinkStore.decode)
        let posted = try actions.postComment(
            org: context.org, request: request, author: principal, body: body, link: link)
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

/// What a thread request asks for: `limit`, and at most one of `cursor`, `before` and `newest`.
struct ThreadPageRequest {
    let limit: Int
    let after: ThreadPosition?
    let before: ThreadPosition?
    let slice: CommentStore.ThreadSlice

    init(query text: String) throws {
        let query = QueryString.parse(text)
        limit = try PageQuery.limit(query, default: CommentRoutes.defaultLimit, max: CommentRoutes.maxLimit)
        let position = { (name: String) throws -> ThreadPosition? in
            guard let raw = query[name], !raw.isEmpty else { return nil }
            guard let position = ThreadPosition(encoded: raw) else { throw PageQuery.invalid(name) }
            return position
        }
        after = try position("cursor")
        before = try position("before")
        let newest: Bool
        switch query["newest"] {
        case nil, "false"?: newest = false
        case "true"?: newest = true
        default:
            throw APIError(
                400, "invalid-parameter", "`newest` must be true or false.",
                extensions: ["parameter": .string("newest")])
        }
        guard [after != nil, before != nil, newest].filter({ $0 }).count <= 1 else {
            throw APIError(
                400, "invalid-parameter", "Give at most one of `cursor`, `before` and `newest`.",
                extensions: ["parameter": .string("cursor")])
        }
        slice =
            if let after { .after(createdAt: after.createdAt, id: after.id) } else if let before {
                .before(createdAt: before.createdAt, id: before.id)
            } else if newest { .newest } else { .first }
    }
}
