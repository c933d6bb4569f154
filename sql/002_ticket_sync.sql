-- Ticket Sync's own tables, in their own schema so they never collide with another service's.
CREATE SCHEMA IF NOT EXISTS ticket_sync;

-- Bearer tokens: only the SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE ticket_sync.api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    name         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- A ticket link ties one evidence request to one external ticket. Unlinked links stay as history.
CREATE TABLE ticket_sync.ticket_links (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL,
    evidence_request_id uuid NOT NULL,
    provider            text NOT NULL,
    external_id         text NOT NULL,
    external_url        text,            -- null when the tracker gave no deep link
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    closed_at           timestamptz,
    unlinked_at         timestamptz,
    -- Composite key: a link can only point at a request of its own org.
    FOREIGN KEY (org_id, evidence_request_id) REFERENCES evidence_requests (org_id, id) ON DELETE CASCADE
);

-- One active link per evidence request, enforced here rather than by check-then-insert.
CREATE UNIQUE INDEX ticket_links_one_active_per_request
    ON ticket_sync.ticket_links (evidence_request_id) WHERE unlinked_at IS NULL;
-- Inbound events resolve a ticket by its external id alone (the wire carries nothing else).
CREATE UNIQUE INDEX ticket_links_active_external_id
    ON ticket_sync.ticket_links (external_id) WHERE unlinked_at IS NULL;

-- The comment thread: internal comments (written here) and external ones (from the ticket).
CREATE TABLE ticket_sync.comments (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id              uuid NOT NULL,
    evidence_request_id uuid NOT NULL,
    source              text NOT NULL CHECK (source IN ('internal', 'external')),
    author_user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    author              text NOT NULL,
    body                text NOT NULL,
    external_comment_id text,
    sync_state          text CHECK (sync_state IN ('synced', 'pending', 'error')),
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (org_id, evidence_request_id) REFERENCES evidence_requests (org_id, id) ON DELETE CASCADE
);

-- De-duplication across both directions: one external comment id per evidence request.
CREATE UNIQUE INDEX comments_external_comment_id
    ON ticket_sync.comments (evidence_request_id, external_comment_id);
CREATE INDEX comments_thread ON ticket_sync.comments (org_id, evidence_request_id, created_at, id);

-- The mock provider mints mock-TCK-<n> from here: unique across processes and restarts.
CREATE SEQUENCE ticket_sync.mock_ticket_number;
