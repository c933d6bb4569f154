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
