-- Guarded outbox: every claim takes a fresh lease token, and a loop's state changes apply only while the event is
-- still 'delivering' under that token, so a loop whose lease ran out can never overwrite what another loop did.
ALTER TABLE ticket_sync.outbox ADD COLUMN lease_token uuid;

-- Unlinking a ticket cancels its undelivered events: marked 'cancelled' (kept for the record), never sent.
ALTER TABLE ticket_sync.outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE ticket_sync.outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('pending', 'delivering', 'delivered', 'failed', 'cancelled'));

-- The open-event indexes leave out cancelled events too (like delivered ones, they are most of the table in time).
DROP INDEX ticket_sync.outbox_undelivered;
CREATE INDEX outbox_undelivered ON ticket_sync.outbox (id) WHERE state NOT IN ('delivered', 'cancelled');
DROP INDEX ticket_sync.outbox_open_per_link;
CREATE INDEX outbox_open_per_link ON ticket_sync.outbox (link_id, id) WHERE state NOT IN ('delivered', 'cancelled');
