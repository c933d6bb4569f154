import TicketSyncPlatform

/// Delivery ids of native tracker webhooks already processed.
public struct InboundDeliveryStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// True the first time a delivery id is seen; false for a redelivery.
    /// Delivery ids are unique per connection (nil: the deployment default).
    public func recordFirst(source: String, deliveryID: String, connectionID: String?) throws -> Bool {
        try db.query(
            """
            INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id, connection_id) VALUES ($1, $2, $3)
            ON CONFLICT DO NOTHING
            """, [source, deliveryID, connectionID]
        ).affected == 1
    }

    /// Records a Standard Webhooks `webhook-id` like a delivery id (true the first time); the same statement prunes
    /// up to ten ids of this source older than `keptFor` (a day: far past the 5-minute window in which a replay could
    /// still verify), so the table holds about a day of them without a job of its own.
    public func recordFirstPruning(source: String, deliveryID: String, connectionID: String?) throws -> Bool {
        try db.query(
            """
            WITH pruned AS (
                DELETE FROM ticket_sync.inbound_deliveries WHERE ctid IN (
                    SELECT ctid FROM ticket_sync.inbound_deliveries
                    WHERE source = $1 AND received_at < now() - $4::interval
                    ORDER BY received_at LIMIT 10 FOR UPDATE SKIP LOCKED))
            INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id, connection_id) VALUES ($1, $2, $3)
            ON CONFLICT DO NOTHING
            """, [source, deliveryID, connectionID, Self.keptFor]
        ).affected == 1
    }

    static let keptFor = "1 day"

    /// Forgets a delivery id recorded for an event that was then not applied, so its redelivery is.
    public func forget(source: String, deliveryID: String, connectionID: String?) throws {
        try db.query(
            """
            DELETE FROM ticket_sync.inbound_deliveries
            WHERE source = $1 AND delivery_id = $2 AND connection_id IS NOT DISTINCT FROM $3::uuid
            """, [source, deliveryID, connectionID])
    }

    /// Records the delivery id in the statement that takes this condition, which then applies only the first time
    /// the id is seen (parameters from `firstParameter`).
    static func firstSeen(source: String, deliveryID: String, connectionID: String?, firstParameter n: Int)
        -> SQLCondition
    {
        SQLCondition(
            with: """
                WITH first_seen AS (
                    INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id, connection_id)
                    VALUES ($\(n)::text, $\(n + 1)::text, $\(n + 2)::uuid) ON CONFLICT DO NOTHING RETURNING 1)
                """, sql: "EXISTS (SELECT 1 FROM first_seen)", params: [source, deliveryID, connectionID])
    }
}
