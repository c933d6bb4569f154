import Foundation

@testable import TicketSync
@testable import TicketSyncPlatform

/// The use cases against PostgreSQL with a recording tracker: the real generic-webhook provider (the deployment
/// default, so no outbound guard) over `RecordingHTTP`, which sends nothing, records every call and answers as the
/// test scripts. Each fixture has its own org, evidence request and recorder.
struct RecordingTracker {
    static let url = "http://127.0.0.1:9/hook"
    static let secret = "s3cret"
    static let timeouts = HTTPTimeouts(connect: 1, total: 1)

    let db: PGConnection
    let org: TestDatabase.Org
    let http: RecordingHTTP
    let providers: ProviderRegistry

    init() throws {
        db = try TestDatabase.connect()
        org = try TestDatabase.makeOrg(db)
        http = RecordingHTTP()
        let settings = Settings(environment: [
            "TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": Self.url, "TICKET_WEBHOOK_SECRET": Self.secret,
        ])
        providers = ProviderRegistry(settings: settings, http: http)
    }

    /// The use cases on this fixture's session.
    func actions() -> SyncActions { Self.actions(db, providers: providers) }

    /// The use cases on another session (a concurrent caller's).
    static func actions(_ db: PGConnection, providers: ProviderRegistry) -> SyncActions {
        SyncActions(
            db: db, providers: providers,
            policy: DeliveryPolicy(baseMilliseconds: 1, capSeconds: 1, maxAttempts: 3), inlineTimeouts: timeouts)
    }

    /// The org's evidence request as the routes read it.
    var request: EvidenceRequest {
        EvidenceRequest(
            id: EvidenceRequestID(org.requestID), orgID: OrgID(org.id), title: "SOC 2 access review", description: "Q3",
            status: .open)
    }

    var admin: Principal { Principal(userID: UserID(org.adminID), displayName: "Admin", permission: .configure) }

    /// The calls of one event type, in order.
    func calls(_ type: String) -> [OutboundRequest] { http.sent.filter { $0.headers["X-Event-Type"] == type } }

    /// One row of `sql`, which names `$1` (this org).
    func row(_ sql: String, _ more: [String?] = []) throws -> PGRow? { try db.query(sql, [org.id] + more).first }

    func count(_ sql: String, _ more: [String?] = []) throws -> Int {
        try db.query("SELECT count(*) AS n FROM (\(sql)) q", [org.id] + more).single("count").int("n")
    }

    /// The org's audit actions, oldest first.
    func auditActions() throws -> [String] {
        try db.query("SELECT action FROM ticket_sync.audit_events WHERE org_id = $1 ORDER BY id", [org.id]).all.map {
            $0.string("action")
        }
    }

    static func answer(_ status: Int, _ json: String = "") -> OutboundResult {
        .response(status: status, headers: [:], body: Array(json.utf8))
    }
}
