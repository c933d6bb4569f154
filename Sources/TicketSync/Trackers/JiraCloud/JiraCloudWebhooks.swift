import Foundation
import TicketSyncPlatform

/// The dynamic webhooks a `jira_cloud` connection registers for itself (`<api>/ex/jira/{cloudId}/rest/api/3/webhook`):
/// one registration on the connection's inbound URL for the project's issue updates and deletions and its comments
/// (`jqlFilter: project = KEY`; labels are not allowed there, so deliveries are routed by the stored issue ids).
/// Atlassian expires them 30 days after their registration or last refresh: `maintain` (run at the start of each
/// sweep of the connection) refreshes them when fewer than 10 days remain and registers them again when they expired
/// or Atlassian no longer knows them. Their ids and expiry are kept in `ticket_sync.jira_cloud_webhooks`.
struct JiraCloudWebhooks {
    static let events = ["jira:issue_updated", "jira:issue_deleted", "comment_created", "comment_updated"]
    static let refreshBelowSeconds: TimeInterval = 10 * 86_400
    static let lifetimeSeconds: TimeInterval = 30 * 86_400

    let jira: JiraProvider

    /// Registers the webhooks on `url`; their ids.
    func register(url: String) throws -> [Int] {
        let body = JSONValue.object([
            "url": .string(url),
            "webhooks": .array([
                .object([
                    "events": .array(Self.events.map(JSONValue.string)),
                    "jqlFilter": .string("project = \(jira.projectKey)"),
                ])
            ]),
        ])
        let result = jira.call("POST", "/webhook", body, api: 3, timeouts: jira.timeouts)
        guard let status = result.status, (200..<300).contains(status),
            case .array(let results)? = result.jsonObject?["webhookRegistrationResult"]
        else { throw JiraProvider.failure.apiError(result, action: "register the webhooks") }
        let ids = results.compactMap { JiraProvider.identifier($0["createdWebhookId"]).flatMap { Int($0) } }
        guard !ids.isEmpty else {
            let errors = results.compactMap { item -> String? in
                guard case .array(let list)? = item["errors"] else { return nil }
                return list.compactMap(\.stringValue).joined(separator: "; ")
            }
            throw TrackerError(
                tracker: "Jira", action: "register the webhooks",
                reason: .invalidAnswer(field: "webhookRegistrationResult", rule: errors.joined(separator: "; ")))
        }
        return ids
    }

    /// Refreshes them: their new expiry, or nil when Atlassian no longer has them (expired or removed).
    func refresh(_ ids: [Int]) throws -> Bool {
        let result = jira.call(
            "PUT", "/webhook/refresh", .object(["webhookIds": .array(ids.map(JSONValue.int))]), api: 3,
            timeouts: jira.timeouts)
        if result.status == 404 || result.status == 400 { return false }
        guard let status = result.status, (200..<300).contains(status) else {
            throw JiraProvider.failure.apiError(result, action: "refresh the webhooks")
        }
        return true
    }

    func delete(_ ids: [Int]) throws {
        guard !ids.isEmpty else { return }
        let result = jira.call(
            "DELETE", "/webhook", .object(["webhookIds": .array(ids.map(JSONValue.int))]), api: 3,
            timeouts: jira.timeouts)
        // Already gone is what was wanted.
        guard let status = result.status, (200..<300).contains(status) || status == 404 else {
            throw JiraProvider.failure.apiError(result, action: "delete the webhooks")
        }
    }
}

/// The stored registrations (ids and expiry) of each connection.
struct JiraCloudWebhookStore {
    let db: PGConnection

    struct Registered {
        var ids: [Int]
        var secondsLeft: Double
    }

    func find(connection: String) throws -> Registered? {
        guard
            let row = try db.query(
                """
                SELECT array_to_string(webhook_ids, ',') AS ids,
                       extract(epoch FROM expires_at - now())::float8 AS seconds_left
                FROM ticket_sync.jira_cloud_webhooks WHERE connection_id = $1
                """, [connection]
            ).first
        else { return nil }
        let ids = row.string("ids").split(separator: ",").compactMap { Int($0) }
        return Registered(ids: ids, secondsLeft: Double(row.string("seconds_left")) ?? 0)
    }

    /// Also shown in the connection's settings (`webhooks_expire_at`), for the page; one statement.
    func save(connection: String, ids: [Int]) throws {
        try db.query(
            """
            WITH saved AS (
                INSERT INTO ticket_sync.jira_cloud_webhooks (connection_id, webhook_ids, expires_at)
                VALUES ($1, string_to_array($2, ',')::bigint[], clock_timestamp() + interval '30 days')
                ON CONFLICT (connection_id) DO UPDATE
                SET webhook_ids = excluded.webhook_ids, expires_at = excluded.expires_at,
                    refreshed_at = clock_timestamp()
                RETURNING expires_at)
            UPDATE ticket_sync.connections SET settings = settings || jsonb_build_object('webhooks_expire_at',
                (SELECT \(SQLFragments.timestamp("expires_at")) FROM saved))
            WHERE id = $1
            """, [connection, ids.map(String.init).joined(separator: ",")])
    }

    func remove(connection: String) throws {
        try db.query(
            """
            WITH removed AS (DELETE FROM ticket_sync.jira_cloud_webhooks WHERE connection_id = $1)
            UPDATE ticket_sync.connections SET settings = settings - 'webhooks_expire_at' WHERE id = $1
            """, [connection])
    }

    /// The ids a delivery names that are ours.
    func ours(connection: String, matched: [Int]) throws -> Bool {
        guard let registered = try find(connection: connection) else { return false }
        return !Set(registered.ids).isDisjoint(with: matched)
    }
}
