-- Retention (docs/operations.md#retention), and a link's failed events found without reading its queue.
-- Retention: one pass about every ten minutes deletes, in bounded batches, what has outlived its use. Each batch
-- finds its rows, oldest first, through one of these indexes instead of reading the table.
-- IF NOT EXISTS: an operator with large tables may build them beforehand with CREATE INDEX CONCURRENTLY
-- (docs/upgrading.md).
CREATE INDEX IF NOT EXISTS outbox_delivered_by_age ON ticket_sync.outbox (delivered_at) WHERE state = 'delivered';
CREATE INDEX IF NOT EXISTS outbox_cancelled_by_age ON ticket_sync.outbox (created_at) WHERE state = 'cancelled';
CREATE INDEX IF NOT EXISTS inbound_deliveries_received ON ticket_sync.inbound_deliveries (received_at);
CREATE INDEX IF NOT EXISTS inbound_rejections_by_minute ON ticket_sync.inbound_rejections (minute);
CREATE INDEX IF NOT EXISTS audit_events_by_age ON ticket_sync.audit_events (at);

-- A link's sync state and last error look for its failed events (TicketLinkStore.columns, on every read of a link,
-- the comment POST's among them). Through outbox_open_per_link that visited every queued event of the link: a
-- backlog of thousands behind a busy ticket made each read of it read thousands of rows. Failed events are few.
CREATE INDEX IF NOT EXISTS outbox_failed_per_link ON ticket_sync.outbox (link_id, id) WHERE state = 'failed';

-- The audit trail stays insert-only for the runtime role: it can only ask this function (run with the owner's
-- rights) to delete up to `max_rows` rows older than `older_than_days` days, and never rows younger than 30 days.
CREATE FUNCTION ticket_sync.prune_audit_events(older_than_days integer, max_rows integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    deleted integer;
BEGIN
    IF older_than_days IS NULL OR older_than_days < 30 THEN
        RAISE EXCEPTION 'audit retention must be at least 30 days (asked: %)', older_than_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM ticket_sync.audit_events WHERE id IN (
        SELECT id FROM ticket_sync.audit_events
        WHERE at < now() - make_interval(days => older_than_days)
        ORDER BY at LIMIT least(greatest(max_rows, 1), 10000));
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;
REVOKE ALL ON FUNCTION ticket_sync.prune_audit_events(integer, integer) FROM PUBLIC;
