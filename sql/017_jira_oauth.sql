-- Jira Cloud connected with OAuth 2.0 (3LO) (docs/trackers/jira-cloud.md). The connection itself is an ordinary row
-- of kind `jira_cloud` (its site, scopes and account in `settings`; its access and refresh tokens sealed in
-- `connection_secrets`, refreshed under that row's lock).

-- The `state` of each authorization started: single-use, bound to the org and the user who started it (and to the
-- connection, for a reconnect), valid 10 minutes. Only its SHA-256 is stored.
CREATE TABLE ticket_sync.jira_oauth_states (
    state_sha256  bytea PRIMARY KEY CHECK (length(state_sha256) = 32),
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL,
    connection_id uuid REFERENCES ticket_sync.connections (id) ON DELETE CASCADE,  -- set: a reconnect
    name          text CHECK (length(name) <= 200),
    is_default    boolean NOT NULL DEFAULT false,
    project_key   text CHECK (length(project_key) <= 50),
    site          text CHECK (length(site) <= 2048),  -- the cloud id or site URL to pick among several
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX jira_oauth_states_expiry ON ticket_sync.jira_oauth_states (expires_at);

-- The dynamic webhooks a connection registered for itself: their ids and when Atlassian expires them (30 days after
-- their registration or last refresh).
CREATE TABLE ticket_sync.jira_cloud_webhooks (
    connection_id uuid PRIMARY KEY REFERENCES ticket_sync.connections (id) ON DELETE CASCADE,
    webhook_ids   bigint[] NOT NULL,
    expires_at    timestamptz NOT NULL,
    refreshed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
