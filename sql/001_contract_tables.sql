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

-- Lookups are always (org_id, id), and the links' foreign keys need a unique index on exactly those columns. A host
-- table that already has one (any name, either column order) is left untouched; otherwise it is built here, which
-- holds writes to evidence_requests for the build. On a large host table, build it first without blocking writes:
--   CREATE UNIQUE INDEX CONCURRENTLY evidence_requests_org_id_id ON evidence_requests (org_id, id);
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i
        WHERE i.indrelid = 'evidence_requests'::regclass AND i.indisunique AND i.indisvalid
          AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnatts = 2
          AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text)
               FROM unnest(i.indkey::int2[]) AS k(attnum)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = ARRAY['id', 'org_id']
    ) THEN
        CREATE UNIQUE INDEX evidence_requests_org_id_id ON evidence_requests (org_id, id);
    END IF;
END
$$;
