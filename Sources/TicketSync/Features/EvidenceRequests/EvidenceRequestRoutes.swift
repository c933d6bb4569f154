import Foundation
import TicketSyncPlatform

/// Evidence requests as the web page shows them: a paginated list with a ticket summary, and one request in full.
enum EvidenceRequestRoutes {
    static let defaultLimit = 50
    static let maxLimit = 200

    /// Ordered by title then id; `cursor` is the opaque position after the last item of the previous page.
    static func list(_ context: RequestContext) throws -> HTTPResponse {
        let (limit, _) = try listPage(context)
        let page = try context.rows.map(EvidenceRequestStore.decodePageRow)
        let items = Array(page.prefix(limit))
        let next =
            page.count > limit
            ? items.last.map { ListCursor(title: $0.request.title, id: $0.request.id.rawValue).encoded } : nil
        return .json(
            200,
            .object([
                "evidence_requests": .array(
                    items.map { item in
                        .object([
                            "id": item.request.id.json, "title": .string(item.request.title),
                            "status": .string(item.request.status.rawValue),
                            "ticket": item.link.map { link in
                                .object([
                                    "provider": .string(link.provider), "external_id": link.externalID.json,
                                    "sync_state": .string(link.syncState.rawValue), "closed": .bool(link.isClosed),
                                ])
                            } ?? .null,
                        ])
                    }),
                "next_cursor": .optional(next),
            ]))
    }

    /// The list's rows, read with the authorization (one more than the page holds).
    static func listQuery(_ context: RequestContext) throws -> ReadQuery {
        let (limit, after) = try listPage(context)
        return EvidenceRequestStore.pageQuery(after: after, limit: limit + 1)
    }

    private static func listPage(_ context: RequestContext) throws -> (limit: Int, after: ListCursor?) {
        let query = QueryString.parse(context.request.query)
        let limit = try PageQuery.limit(query, default: defaultLimit, max: maxLimit)
        guard let raw = query["cursor"], !raw.isEmpty else { return (limit, nil) }
        guard let cursor = ListCursor(encoded: raw) else { throw PageQuery.invalid("cursor") }
        return (limit, cursor)
    }

    static func read(_ context: RequestContext) throws -> HTTPResponse {
        let request = try context.evidenceRequest()
        let link = try context.rows.first.map(TicketLinkStore.decode)
        return .json(
            200,
            .object([
                "id": .string(request.id.rawValue), "title": .string(request.title),
                "description": .string(request.description),
                "status": .string(request.status.rawValue), "ticket": link?.json ?? .null,
            ]))
    }
}

/// A keyset position (title, id), sent to clients as base64url JSON.
struct ListCursor: Equatable {
    let title: String
    let id: String

    init(title: String, id: String) {
        self.title = title
        self.id = id
    }

    init?(encoded: String) {
        guard let members = PageQuery.decode(encoded), let title = members["t"]?.stringValue,
            let id = members["i"]?.stringValue.flatMap(UUIDText.canonical)
        else { return nil }
        self.init(title: title, id: id)
    }

    var encoded: String { PageQuery.encode(["t": .string(title), "i": .string(id)]) }
}
