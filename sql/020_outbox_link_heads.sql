-- The delivery claim finds a lane's due event among its links' first open events: when the lane's oldest events are
-- all behind a busy ticket's head (in flight or backing off), it skips through the lane's links in this index, one
-- probe per link, instead of walking the ticket's whole backlog (OutboxStore.turnSQL; docs/performance.md, "Scale").
-- IF NOT EXISTS: an operator with a large outbox may build it beforehand with CREATE INDEX CONCURRENTLY
-- (docs/upgrading.md), so migrating does not hold the outbox's writes while it is built.
CREATE INDEX IF NOT EXISTS outbox_open_per_lane_link
    ON ticket_sync.outbox ((coalesce(connection_id::text, provider)), link_id, id)
    WHERE state NOT IN ('delivered', 'cancelled');

-- Open events in id order, whatever their ticket or connection: nothing needs that order any more (the claims go by
-- lane and ticket), and the index misled the planner. Statistics taken while the queue was empty (an ANALYZE between
-- bursts) estimate every open-events index as empty; this one, the smallest, then looked cheapest to read whole for
-- any lookup, a ticket's failed events included — 3,000 buffers per lookup behind a 3,000-event queue, 2.5 ms of
-- PostgreSQL's CPU per comment POST. Without it the per-ticket indexes answer those lookups (3 buffers).
DROP INDEX IF EXISTS ticket_sync.outbox_undelivered;
