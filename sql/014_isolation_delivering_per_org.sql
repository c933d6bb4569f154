-- Counting one org's events in flight through its own connections, all together: the delivery loops cap it
-- (TICKET_DELIVERY_ORG_CONCURRENCY), so an org with many hanging connections cannot hold every loop.
-- IF NOT EXISTS: it may be built beforehand with CREATE INDEX CONCURRENTLY (docs/upgrading.md).
CREATE INDEX IF NOT EXISTS outbox_delivering_per_org ON ticket_sync.outbox (org_id)
    WHERE state = 'delivering' AND connection_id IS NOT NULL;
