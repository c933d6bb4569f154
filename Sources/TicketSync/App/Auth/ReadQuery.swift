import TicketSyncPlatform

/// The data a route reads, run in the same statement as the caller's authorization (one round trip): the SQL is a
/// subquery joined laterally to the `auth` row, so it may use `auth.auth_user_id`, `auth.auth_request_id` and
/// `auth.auth_request_org_id` (set only for a member, and only when the path's evidence request is in the org),
/// `$2` (the path's org, uuid) and its own parameters from `$4`. It is read only when `gate` holds, so a caller who
/// is not a member reads nothing at all.
public struct ReadQuery: Sendable {
    public let sql: String
    public let params: [String?]
    /// Outer ordering of the joined rows, in terms of `d` (the subquery's columns).
    public let order: String?
    public let gate: String
    /// Run with its generic plan (`PGStatement.genericPlans`, in the same round trip): for a query PostgreSQL would
    /// otherwise plan afresh on every request.
    public let genericPlan: Bool
    /// The whole statement, authorization and data, composed once when the query is made (route queries are static
    /// values; per request only their parameters change, see `with(_:)`).
    let statement: String
    let key: PGStatementKey

    /// Read only for members of the path's org.
    public static let membersOnly = "auth.auth_permission IS NOT NULL"
    /// Read for any valid token (routes about the caller itself).
    public static let anyCaller = "true"

    public init(
        _ sql: String, _ params: [String?] = [], order: String? = nil, gate: String = membersOnly,
        genericPlan: Bool = false
    ) {
        self.sql = sql
        self.params = params
        self.order = order
        self.gate = gate
        self.genericPlan = genericPlan
        key = PGStatementKey()
        // A subquery, not a CTE: the one authorization row is joined, never materialised. Its columns are sent
        // with one row only (the data's first, or the lone row when there is no data) and are NULL in the others:
        // repeated in every row of a thread page they cost PostgreSQL's output functions, the bytes on the socket and
        // libpq's parsing twenty times over (the request's description among them).
        statement = """
            SELECT \(AuthStore.authColumnsOnce), d.* FROM (\(AuthStore.principalSQL)) auth
            LEFT JOIN LATERAL (
                SELECT true AS d_found, row_number() OVER () AS d_row, x.* FROM (\(sql)) x WHERE \(gate)) d ON true
            \(order.map { "ORDER BY \($0)" } ?? "")
            """
    }

    private init(_ query: ReadQuery, params: [String?]) {
        sql = query.sql
        order = query.order
        gate = query.gate
        genericPlan = query.genericPlan
        statement = query.statement
        key = query.key
        self.params = params
    }

    /// The same query with this request's own parameters (`$4`…).
    public func with(_ params: [String?]) -> ReadQuery { ReadQuery(self, params: params) }

    /// The first of the route's own parameters.
    public static let firstParameter = 4
}

extension AuthStore {
    /// `principalSQL`'s columns, each kept only in the row numbered 1 (or the lone row with no data) of a read.
    static let authColumnsOnce =
        [
            "auth_user_id", "auth_display_name", "auth_email", "auth_permission", "auth_request_id",
            "auth_request_org_id", "auth_title", "auth_description", "auth_status", "auth_token_id",
            "auth_token_expires_at", "auth_token_stale",
        ]
        .map { "CASE WHEN coalesce(d.d_row, 1) = 1 THEN auth.\($0) END AS \($0)" }.joined(separator: ", ")

    /// Token → user, the user's permission in `$2`, and the evidence request `$3` of that org (members only). A
    /// revoked or expired token finds nothing (401). `auth_token_stale`: its last use is over a minute old.
    static let principalSQL = """
        SELECT u.id AS auth_user_id, u.display_name AS auth_display_name, u.email AS auth_email,
               m.permission AS auth_permission, r.id AS auth_request_id, r.org_id AS auth_request_org_id,
               r.title AS auth_title, r.description AS auth_description, r.status AS auth_status,
               t.id AS auth_token_id, \(SQLFragments.timestamp("t.expires_at")) AS auth_token_expires_at,
               (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS auth_token_stale
        FROM ticket_sync.api_tokens t
        JOIN {host}.users u ON u.id = t.user_id
        LEFT JOIN {host}.org_memberships m ON m.user_id = u.id AND m.org_id = $2::uuid
        LEFT JOIN {host}.evidence_requests r ON m.permission IS NOT NULL AND r.org_id = $2::uuid AND r.id = $3::uuid
        WHERE t.token_sha256 = decode($1, 'hex') AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > now())
        """

    /// The principal and, in the same statement, the route's rows (nil when the token is unknown or revoked).
    /// Only the rows the data subquery produced are returned: the join's empty placeholder row is dropped.
    public func authorizedRead(token: String, org: String?, request: String?, read: ReadQuery) throws
        -> (principal: Principal, rows: [PGRow])?
    {
        let params = [APIToken.digestHex(token), org, request] + read.params
        let rows =
            read.genericPlan
            ? try db.pipeline([PGStatement.genericPlans, PGStatement(read.statement, params)]).at(1).all
            : try db.query(read.statement, params, key: read.key).all
        guard let first = rows.first else { return nil }
        // Looked up once, not per row. The authorization is in the one row that has its user (see `init`).
        let found = first.column("d_found")
        let user = first.column("auth_user_id")
        let authorization = rows.first { $0.bytes(at: user) != nil } ?? first
        return (try Self.principal(from: authorization), rows.filter { $0.bytes(at: found) != nil })
    }

    static func principal(from row: PGRow) throws -> Principal {
        let name = row.string("auth_display_name")
        var principal = Principal(
            userID: row.id("auth_user_id"), displayName: name.isEmpty ? row.string("auth_email") : name,
            email: row.string("auth_email"),
            permission: try row.parsedIfPresent("auth_permission", OrgPermission.init(rawValue:)),
            tokenID: row.id("auth_token_id"), tokenExpiresAt: row["auth_token_expires_at"],
            tokenUseIsStale: row.bool("auth_token_stale"))
        if row["auth_request_id"] != nil {
            principal.evidenceRequest = EvidenceRequest(
                id: row.id("auth_request_id"), orgID: row.id("auth_request_org_id"),
                title: row.string("auth_title"), description: row.string("auth_description"),
                status: try row.parsed("auth_status", EvidenceRequest.Status.init(rawValue:)))
        }
        return principal
    }
}
