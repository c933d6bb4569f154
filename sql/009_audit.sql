-- The audit trail: who did what to which ticket, comment, connection or token, and when. Insert-only: the runtime
-- role may INSERT and SELECT it, never UPDATE or DELETE (see `ticketsync grants`). Each row is written in the
-- transaction of the action it records. Details are redacted: never a secret or a token.
CREATE TABLE ticket_sync.audit_events (
    id                  bigserial PRIMARY KEY,
    org_id              uuid,            -- NULL for token events: a token belongs to a user, not to an org
    at                  timestamptz NOT NULL DEFAULT now(),
    action              text NOT NULL CHECK (action IN (
                            'ticket.create', 'ticket.close', 'ticket.unlink', 'ticket.retry', 'comment.create',
                            'inbound.applied', 'inbound.rejected', 'connection.create', 'connection.update',
                            'connection.test', 'connection.rotate_secret', 'connection.disable', 'connection.delete',
                            'token.create', 'token.revoke')),
    actor_kind          text NOT NULL CHECK (actor_kind IN ('user', 'connection', 'system', 'cli')),
    actor_user_id       uuid,
    actor_token_id      uuid,
    actor_connection_id uuid,            -- for inbound events: the connection whose signature authorised them
    evidence_request_id uuid,
    link_id             uuid,
    connection_id       uuid,
    comment_id          bigint,
    request_id          text,            -- X-Request-Id of the API request, when there was one
    detail              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_org ON ticket_sync.audit_events (org_id, id);
CREATE INDEX audit_events_by_request ON ticket_sync.audit_events (org_id, evidence_request_id, id);
