import TicketSyncPlatform

/// The demo data `make run` starts with: one org, a configure user, a read-only user and a few evidence requests.
/// Running it again changes nothing but the tokens: earlier demo tokens are revoked and new ones printed.
public struct DemoSeed {
    public static let orgID = "11111111-1111-4111-8111-111111111111"
    public static let otherOrgID = "22222222-2222-4222-8222-222222222222"
    static let requests: [(id: String, title: String, description: String)] = [
        (
            "aaaaaaaa-0000-4000-8000-000000000001", "SOC 2 CC6.1 — logical access review",
            "Provide the Q3 user access review for production systems, with sign-off."
        ),
        (
            "aaaaaaaa-0000-4000-8000-000000000002", "Change management sample",
            "Provide 25 sampled production changes with approvals and test evidence."
        ),
        (
            "aaaaaaaa-0000-4000-8000-000000000003", "Vendor risk assessments",
            "Provide risk assessments for critical vendors onboarded this year."
        ),
    ]

    public struct Result: Sendable {
        public var orgID: String
        public var requestIDs: [String]
        public var configureToken: String
        public var readToken: String
    }

    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    public func run() throws -> Result {
        try db.transaction {
            try db.query(
                "INSERT INTO {host}.orgs (id, name) VALUES ($1, 'Demo Org') ON CONFLICT (id) DO NOTHING", [Self.orgID])
            try db.query(
                "INSERT INTO {host}.orgs (id, name) VALUES ($1, 'Other Org') ON CONFLICT (id) DO NOTHING",
                [Self.otherOrgID])
            for request in Self.requests {
                try db.query(
                    """
                    INSERT INTO {host}.evidence_requests (id, org_id, title, description) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (id) DO NOTHING
                    """, [request.id, Self.orgID, request.title, request.description])
            }
            let auth = AuthStore(db: db)
            let admin = try auth.ensureUser(email: "admin@demo.example", displayName: "Demo Admin")
            let reader = try auth.ensureUser(email: "reader@demo.example", displayName: "Demo Reader")
            for (user, permission) in [(admin, "configure"), (reader, "read")] {
                try db.query(
                    """
                    INSERT INTO {host}.org_memberships (org_id, user_id, permission) VALUES ($1, $2, $3)
                    ON CONFLICT (org_id, user_id) DO UPDATE SET permission = excluded.permission
                    """, [Self.orgID, user, permission])
                try auth.revokeTokens(userID: UserID(user), name: "demo-seed")
            }
            return Result(
                orgID: Self.orgID, requestIDs: Self.requests.map(\.id),
                configureToken: try auth.issueToken(userID: UserID(admin), name: "demo-seed"),
                readToken: try auth.issueToken(userID: UserID(reader), name: "demo-seed"))
        }
    }
}
