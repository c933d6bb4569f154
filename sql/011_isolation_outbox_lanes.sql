-- Delivery lanes: the delivery loops take turns between connections (a lane is a connection's id, or the provider
-- kind for the deployment default) instead of claiming globally by id, and cap the events of one lane in flight.
-- The claim walks one lane's open events oldest first from the lane after the loop's last one.
CREATE INDEX outbox_open_per_lane ON ticket_sync.outbox ((coalesce(connection_id::text, provider)), id)
    WHERE state NOT IN ('delivered', 'cancelled');
-- Counting a lane's events in flight.
CREATE INDEX outbox_delivering_per_lane ON ticket_sync.outbox ((coalesce(connection_id::text, provider)))
    WHERE state = 'delivering';
