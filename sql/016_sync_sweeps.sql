-- Sweeps (docs/reliability.md, "Sweeps"): the service reads what changed on each tracker since its cursor and
-- applies it through the webhooks' idempotent paths, so a lost webhook is repaired. One row per connection, and one
-- per deployment-default tracker kind (`deployment:<kind>`), claimed as a lease (SKIP LOCKED) by one delivery loop at
-- a time across every host.
CREATE TABLE ticket_sync.sync_sweeps (
    scope               text PRIMARY KEY,     -- the connection's id, or `deployment:<kind>`
    org_id              uuid REFERENCES orgs (id) ON DELETE CASCADE,                       -- null: deployment
    connection_id       uuid UNIQUE REFERENCES ticket_sync.connections (id) ON DELETE CASCADE,
    kind                text NOT NULL,
    cursor_at           timestamptz,          -- tracker changes before this (less the overlap) have been applied
    due_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    leased_until        timestamptz,
    lease_token         uuid,
    started_at          timestamptz,
    finished_at         timestamptz,
    changes             integer NOT NULL DEFAULT 0 CHECK (changes >= 0),
    error               text,                 -- the last sweep's failure, in the tracker's words; null when it worked
    failures            integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    sweepable           boolean NOT NULL DEFAULT true,  -- false: the tracker offers nothing to sweep (see `error`)
    resync_requested_at timestamptz,          -- "Re-sync now", rate-limited per connection
    CHECK ((scope LIKE 'deployment:%') = (connection_id IS NULL))
);
CREATE INDEX sync_sweeps_due ON ticket_sync.sync_sweeps (due_at);

-- When the tracker last agreed with the link (a sweep or a re-sync saw its ticket as we have it), when a sweep last
-- looked the ticket up by itself (the oldest first: deletions show only that way), and the last "Re-sync now".
ALTER TABLE ticket_sync.ticket_links
    ADD COLUMN IF NOT EXISTS last_verified_at timestamptz,
    ADD COLUMN IF NOT EXISTS looked_up_at     timestamptz,
    ADD COLUMN IF NOT EXISTS resynced_at      timestamptz;
CREATE INDEX IF NOT EXISTS ticket_links_lookup_order ON ticket_sync.ticket_links (connection_id, looked_up_at NULLS FIRST)
    WHERE unlinked_at IS NULL;

-- The mock tracker's own side (it has no server): what happened to its tickets on "the tracker", which its sweep
-- reads. The demo and the tests write here to stand for a change made in the tracker (docs/trackers/mock.md).
CREATE TABLE ticket_sync.mock_tracker_tickets (
    external_id     text PRIMARY KEY,
    status          text,
    status_category text CHECK (status_category IN ('new', 'indeterminate', 'done')),
    status_at       timestamptz,
    deleted_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE ticket_sync.mock_tracker_comments (
    external_id         text NOT NULL,
    external_comment_id text NOT NULL,
    author              text NOT NULL,
    body                text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (external_id, external_comment_id)
);
CREATE INDEX mock_tracker_comments_by_time ON ticket_sync.mock_tracker_comments (created_at);

-- The drift ledger: each change a sweep or "Re-sync now" applied that the webhooks had missed.
ALTER TABLE ticket_sync.audit_events DROP CONSTRAINT audit_events_action_check;
ALTER TABLE ticket_sync.audit_events ADD CONSTRAINT audit_events_action_check CHECK (action IN (
    'ticket.create', 'ticket.close', 'ticket.unlink', 'ticket.retry', 'comment.create',
    'inbound.applied', 'inbound.rejected', 'connection.create', 'connection.update',
    'connection.test', 'connection.rotate_secret', 'connection.disable', 'connection.delete',
    'token.create', 'token.revoke', 'sync.drift_repaired'));
