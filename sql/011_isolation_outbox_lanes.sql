-- Delivery lanes: the delivery loops take turns between connections (a lane is a connection's id, or the provider
-- kind for the deployment default) instead of claiming globally by id, and cap the events of one lane in flight.
-- The claim walks one lane's open events oldest first from the lane after the loop's last one.
-- IF NOT EXISTS: an operator with a large outbox may build these beforehand with CREATE INDEX CONCURRENTLY (the
-- exact statements are in docs/upgrading.md), so migrating does not hold the outbox's writes while they are built.
CREATE INDEX IF NOT EXISTS outbox_open_per_lane ON ticket_sync.outbox ((coalesce(connection_id::text, provider)), id)
    WHERE state NOT IN ('delivered', 'cancelled');
-- Counting a lane's events in flight.
CREATE INDEX IF NOT EXISTS outbox_delivering_per_lane ON ticket_sync.outbox ((coalesce(connection_id::text, provider)))
    WHERE state = 'delivering';
