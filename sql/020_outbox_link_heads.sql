-- The delivery claim finds a lane's due event among its links' first open events: when the lane's oldest events are
-- all behind a busy ticket's head (in flight or backing off), it skips through the lane's links in this index, one
-- probe per link, instead of walking the ticket's whole backlog (OutboxStore.turnSQL; docs/performance.md, "Scale").
-- IF NOT EXISTS: an operator with a large outbox may build it beforehand with CREATE INDEX CONCURRENTLY
-- (docs/upgrading.md), so migrating does not hold the outbox's writes while it is built.
CREATE INDEX IF NOT EXISTS outbox_open_per_lane_link
    ON ticket_sync.outbox ((coalesce(connection_id::text, provider)), link_id, id)
    WHERE state NOT IN ('delivered', 'cancelled');
