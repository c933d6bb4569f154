-- Outbound events (ticket.comment, ticket.close) wait here until the provider has them.
-- They are written in the same transaction as the comment or close they announce (transactional outbox),
-- claimed with FOR UPDATE SKIP LOCKED by any number of delivery loops, and delivered in order per link.
CREATE TABLE ticket_sync.outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), -- X-Event-Id: the same on every retry
    org_id          uuid NOT NULL,
    link_id         uuid NOT NULL REFERENCES ticket_sync.ticket_links (id) ON DELETE CASCADE,
    comment_id      bigint REFERENCES ticket_sync.comments (id) ON DELETE CASCADE,
    provider        text NOT NULL,
    event_type      text NOT NULL CHECK (event_type IN ('ticket.comment', 'ticket.close')),
    body            text NOT NULL,                                  -- the exact bytes sent and signed
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,                                    -- lease of the loop that claimed it
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at    timestamptz
);

-- What the delivery loops scan, oldest first: only events not yet delivered (delivered ones are most of the table).
CREATE INDEX outbox_undelivered ON ticket_sync.outbox (id) WHERE state <> 'delivered';
-- Per-link order and the link's derived sync state.
CREATE INDEX outbox_open_per_link ON ticket_sync.outbox (link_id, id) WHERE state <> 'delivered';

-- The webhook provider mints wh-<n> ids from here.
CREATE SEQUENCE ticket_sync.webhook_ticket_number;
