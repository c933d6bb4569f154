-- Tickets that fit each tracker's rules (docs/fields.md): the field mapping and assignee live in a connection's
-- `settings` (no schema change); what changes here is the due date.

-- A changed due date reaches the ticket as a `ticket.update` event, ordered with the link's other events.
ALTER TABLE ticket_sync.outbox DROP CONSTRAINT outbox_event_type_check;
ALTER TABLE ticket_sync.outbox ADD CONSTRAINT outbox_event_type_check
    CHECK (event_type IN ('ticket.comment', 'ticket.close', 'ticket.update'));

-- The due date the ticket last carried (made with, or last updated to): the watch compares the host's column with it.
ALTER TABLE ticket_sync.ticket_links ADD COLUMN due_date_sent date;

-- A host table with the optional column: the links already made start from today's due dates, so upgrading does
-- not push every due date at once.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_attribute
        WHERE attrelid = to_regclass('evidence_requests') AND attname = 'due_date' AND NOT attisdropped
    ) THEN
        EXECUTE $sql$
            UPDATE ticket_sync.ticket_links l SET due_date_sent = r.due_date::date
            FROM evidence_requests r
            WHERE r.org_id = l.org_id AND r.id = l.evidence_request_id AND l.unlinked_at IS NULL
        $sql$;
    END IF;
END
$$;
