-- The integration contract shared with the other services in this database.
-- Created only when missing (a standalone install); an existing install keeps its own tables.
CREATE TABLE IF NOT EXISTS orgs (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id           uuid PRIMARY KEY,
    email        text NOT NULL UNIQUE,
    display_name text NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS org_memberships (
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission text NOT NULL CHECK (permission IN ('read', 'configure')),
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE IF NOT EXISTS evidence_requests (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'in_progress', 'submitted', 'accepted', 'rejected'))
);

-- Lookups are always (org_id, id); keep that cheap even where the host created the table.
CREATE UNIQUE INDEX IF NOT EXISTS evidence_requests_org_id_id ON evidence_requests (org_id, id);
