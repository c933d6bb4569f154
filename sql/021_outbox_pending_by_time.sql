-- The delivery claim finds a lane's due events in due-time order: when the lane's oldest events are not due (many
-- tickets backing off, or held behind a tracker's outage) it reads the lane's pending events whose time has come,
-- a handful, instead of skipping through every ticket of the lane (OutboxStore.laneDueSQL; docs/performance.md,
-- "Scale"). The lane is kept in the "C" collation, which only that lookup names, and the predicate asks for it: no
-- other index can answer the lookup, and no other statement can use this index, whatever the statistics say
-- (before this index's first ANALYZE a generic plan preferred the lane's links, sorted; without the lane in the
-- predicate, a claim by ticket read every pending event whose time had come through it).
-- IF NOT EXISTS: an operator with a large outbox may build it beforehand with CREATE INDEX CONCURRENTLY
-- (docs/upgrading.md), so migrating does not hold the outbox's writes while it is built.
CREATE INDEX IF NOT EXISTS outbox_pending_per_lane_by_time
    ON ticket_sync.outbox ((coalesce(connection_id::text, provider) COLLATE "C"), next_attempt_at)
    WHERE state = 'pending' AND (coalesce(connection_id::text, provider) COLLATE "C") IS NOT NULL;
