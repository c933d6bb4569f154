import TicketSyncPlatform

/// `GET /api/v1/orgs/{org_id}/ticket-sync/health` (org read): what is out of sync in the org — counts, a keyset page
/// of the links that need attention with their reasons, and the sweeps of its connections (and of the deployment
/// default, for the trackers its deployment-default links use). docs/reliability.md, "The health view".
enum SyncHealthRoutes {
    static let defaultLimit = 50
    static let maxLimit = 200
    /// One of our comments still on its way to the tracker this long after it was written needs attention.
    static let commentPendingSeconds = 600

    /// A link's position in the page's order (created_at, id), handed out as the opaque `cursor`.
    struct Position: Equatable {
        let createdAt: String
        let id: String

        init(createdAt: String, id: String) {
            self.createdAt = createdAt
            self.id = id
        }

        /// Only a position this API wrote: an API timestamp and a link's UUID.
        init?(encoded: String) {
            guard let members = PageQuery.decode(encoded), let time = members["t"]?.stringValue,
                PGTimestamp.isAPIText(time), let id = members["i"]?.stringValue.flatMap(UUIDText.canonical)
            else { return nil }
            self.init(createdAt: time, id: id)
        }

        var encoded: String { PageQuery.encode(["t": .string(createdAt), "i": .string(id)]) }
    }

    static func page(_ context: RequestContext) throws -> (limit: Int, after: Position?) {
        let query = QueryString.parse(context.request.query)
        let limit = try PageQuery.limit(query, default: defaultLimit, max: maxLimit)
        guard let raw = query["cursor"], !raw.isEmpty else { return (limit, nil) }
        guard let position = Position(encoded: raw) else { throw PageQuery.invalid("cursor") }
        return (limit, position)
    }

    static func query(_ context: RequestContext) throws -> ReadQuery {
        let (limit, after) = try page(context)
        let sweeps = context.settings.sweeps
        return SyncHealthQuery.query.with([
            String(commentPendingSeconds), String(sweeps.intervalSeconds), String(sweeps.pollIntervalSeconds),
            after?.createdAt, after?.id, String(limit + 1),
        ])
    }

    static func health(_ context: RequestContext) throws -> HTTPResponse {
        let (limit, _) = try page(context)
        guard let row = context.rows.first else { throw APIError.internalError }
        let counts = try row.json("counts") ?? .object([:])
        guard case .array(let listed)? = try row.json("links"), case .array(let sweeps)? = try row.json("sweeps")
        else { throw StoredValueError("links", row.string("links")) }
        let shown = listed.prefix(limit)
        var next: String?
        if listed.count > limit, let last = shown.last, let time = last["t"]?.stringValue,
            let id = last["i"]?.stringValue
        {
            next = Position(createdAt: time, id: id).encoded
        }
        let sweepSettings = context.settings.sweeps
        return .json(
            200,
            .object([
                "counts": counts,
                "thresholds": .object([
                    "comment_pending_seconds": .int(commentPendingSeconds),
                    "unverified_seconds": .int(2 * sweepSettings.intervalSeconds),
                    "poll_unverified_seconds": .int(2 * sweepSettings.pollIntervalSeconds),
                ]),
                "links": .array(shown.map(withoutPosition)),
                "next_cursor": .optional(next),
                "sweeps": .array(sweeps),
            ]))
    }

    /// The item without its position (which the cursor carries).
    private static func withoutPosition(_ item: JSONValue) -> JSONValue {
        guard case .object(var members) = item else { return item }
        members["t"] = nil
        members["i"] = nil
        return .object(members)
    }
}
