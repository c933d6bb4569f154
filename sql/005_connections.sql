-- Per-org tracker connections (hosted multi-org). An org's links, events and inbound deliveries belong to one
-- connection; a NULL connection_id means the deployment default built from the environment (TICKET_PROVIDER,
-- TICKET_WEBHOOK_*, JIRA_*, SERVICENOW_*), which every link made before this migration uses.
CREATE TABLE ticket_sync.connections (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind                 text NOT NULL CHECK (kind IN ('mock', 'webhook', 'jira', 'servicenow')),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    settings             jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'), -- never a secret
    -- Only the SHA-256 of the inbound token (the last segment of the connection's inbound URL) is kept.
    inbound_token_sha256 bytea NOT NULL UNIQUE CHECK (length(inbound_token_sha256) = 32),
    is_default           boolean NOT NULL DEFAULT false,
    disabled             boolean NOT NULL DEFAULT false,
    created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Deleted connections stay (unlinked links keep naming them) but lose their secrets and every use.
    deleted_at           timestamptz,
    last_test            jsonb
);

-- At most one enabled default per org, whatever races the API sees.
CREATE UNIQUE INDEX connections_one_default_per_org
    ON ticket_sync.connections (org_id) WHERE is_default AND NOT disabled AND deleted_at IS NULL;
CREATE INDEX connections_of_org ON ticket_sync.connections (org_id, created_at) WHERE deleted_at IS NULL;

-- Sealed secrets, one row per connection and field: `v1:<kid>:<base64(nonce ‖ ciphertext ‖ tag)>` (AES-256-GCM,
-- the org id, connection id and field bound in as associated data). key_id is the kid, for rotation and the
-- start-up check. valid_until is set only on `webhook_secret_previous`, the inbound secret before a rotation.
CREATE TABLE ticket_sync.connection_secrets (
    connection_id uuid NOT NULL REFERENCES ticket_sync.connections (id) ON DELETE CASCADE,
    field         text NOT NULL CHECK (field IN ('api_token', 'webhook_secret', 'webhook_secret_previous')),
    sealed        text NOT NULL CHECK (sealed LIKE 'v1:%'),
    key_id        text NOT NULL,
    valid_until   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (connection_id, field)
);
CREATE INDEX connection_secrets_key_id ON ticket_sync.connection_secrets (key_id);

-- Links and events record their connection; existing ones stay NULL: the deployment default.
ALTER TABLE ticket_sync.ticket_links ADD COLUMN connection_id uuid REFERENCES ticket_sync.connections (id);
ALTER TABLE ticket_sync.outbox ADD COLUMN connection_id uuid REFERENCES ticket_sync.connections (id);
CREATE INDEX ticket_links_of_connection ON ticket_sync.ticket_links (connection_id) WHERE unlinked_at IS NULL;

-- External ids and tracker refs are unique per connection, no longer across the deployment: two orgs' trackers
-- may both mint GRC-1. NULLS NOT DISTINCT keeps them unique within the deployment default too.
DROP INDEX ticket_sync.ticket_links_active_external_id;
CREATE UNIQUE INDEX ticket_links_active_external_id
    ON ticket_sync.ticket_links (connection_id, external_id) NULLS NOT DISTINCT WHERE unlinked_at IS NULL;
DROP INDEX ticket_sync.ticket_links_active_external_ref;
CREATE UNIQUE INDEX ticket_links_active_external_ref
    ON ticket_sync.ticket_links (connection_id, provider, external_ref) NULLS NOT DISTINCT
    WHERE unlinked_at IS NULL AND external_ref IS NOT NULL;

-- Tracker delivery ids are unique per connection too.
ALTER TABLE ticket_sync.inbound_deliveries ADD COLUMN connection_id uuid REFERENCES ticket_sync.connections (id) ON DELETE CASCADE;
ALTER TABLE ticket_sync.inbound_deliveries DROP CONSTRAINT inbound_deliveries_pkey;
CREATE UNIQUE INDEX inbound_deliveries_once
    ON ticket_sync.inbound_deliveries (connection_id, source, delivery_id) NULLS NOT DISTINCT;
