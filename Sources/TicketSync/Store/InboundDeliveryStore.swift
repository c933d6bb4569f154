/// Delivery ids of native tracker webhooks already processed.
public struct InboundDeliveryStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// True the first time a delivery id is seen; false for a redelivery.
    public func recordFirst(source: String, deliveryID: String) throws -> Bool {
        try db.query("""
            INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id) VALUES ($1, $2)
            ON CONFLICT DO NOTHING
            """, [source, deliveryID]).affected == 1
    }
}
