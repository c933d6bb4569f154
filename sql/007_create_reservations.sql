-- Reserve, then create: a create first records its link as 'creating' (the one-active-link index still decides
-- between concurrent creates), then asks the tracker with an idempotency key derived from the link, then completes
-- the link. A create that died (or failed) leaves its reservation; the next create or retry resumes it, and the
-- tracker is asked for the ticket by that key before another is made.
ALTER TABLE ticket_sync.ticket_links ALTER COLUMN external_id DROP NOT NULL;
ALTER TABLE ticket_sync.ticket_links
    ADD COLUMN state text NOT NULL DEFAULT 'linked' CHECK (state IN ('creating', 'linked')),
    -- The lease of the request creating it: another may take over only once it has passed (or was cleared).
    ADD COLUMN creating_until timestamptz,
    -- Why the last attempt to create the ticket failed (shown as the link's sync error).
    ADD COLUMN create_error text,
    ADD CONSTRAINT ticket_links_linked_has_external_id CHECK (state = 'creating' OR external_id IS NOT NULL);

DROP INDEX ticket_sync.ticket_links_active_external_id;
CREATE UNIQUE INDEX ticket_links_active_external_id
    ON ticket_sync.ticket_links (connection_id, external_id) NULLS NOT DISTINCT
    WHERE unlinked_at IS NULL AND external_id IS NOT NULL;

-- Ids the service mints itself (mock-TCK-<n>, wh-<n>): one number per creation key, however often it is asked.
CREATE TABLE ticket_sync.minted_ticket_numbers (
    creation_key text PRIMARY KEY,
    number       bigint NOT NULL
);
