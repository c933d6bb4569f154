-- Rejected signatures at a connection's inbound URL, counted per connection and minute. The first rejection of a
-- minute writes one `inbound.rejected` audit row (the audit trail is insert-only); the others only raise the count
-- here, so a flood of bad signatures costs one audit row a minute. Rows older than 30 days are pruned as new minutes
-- are counted.
CREATE TABLE ticket_sync.inbound_rejections (
    connection_id uuid NOT NULL REFERENCES ticket_sync.connections (id) ON DELETE CASCADE,
    minute        timestamptz NOT NULL,
    rejections    integer NOT NULL DEFAULT 1 CHECK (rejections > 0),
    last_reason   text NOT NULL,
    PRIMARY KEY (connection_id, minute)
);

-- Standard Webhooks ids seen (`inbound_deliveries`, source `webhook-id`) are kept a day, far past the 5-minute window
-- in which a replay could still verify; each new one prunes a few expired ones, oldest first, through this index.
CREATE INDEX inbound_deliveries_by_age ON ticket_sync.inbound_deliveries (source, received_at);
