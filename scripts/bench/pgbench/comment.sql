-- POST .../comments with a linked mock ticket, statement for statement as the responder runs it: principal,
-- request, active link (derived sync state), the write transaction (comment + outbox event), the inline delivery
-- (claim, then record: delivered, stamped, echo stored) and the final read of the comment.
-- Spread over the 90 linked requests like the wrk script; bench.py fills in the digest placeholder.
\set r random(10, 99)
SELECT u.id, u.display_name, u.email, m.permission FROM ticket_sync.api_tokens t JOIN users u ON u.id = t.user_id
  LEFT JOIN org_memberships m ON m.user_id = u.id AND m.org_id = '00000000-0000-4000-8000-000000000050'::uuid
  WHERE t.token_sha256 = decode('{digest}', 'hex') AND t.revoked_at IS NULL;
SELECT id, org_id, title, description, status FROM evidence_requests
  WHERE org_id = '00000000-0000-4000-8000-000000000050' AND id = '00000000-0000-4000-9000-0000000500:r';
SELECT l.id AS link_id, l.org_id, l.evidence_request_id, l.provider, l.external_id, l.external_url, l.external_ref,
  CASE WHEN EXISTS (SELECT 1 FROM ticket_sync.outbox o WHERE o.link_id = l.id AND o.state = 'failed') THEN 'error'
       WHEN EXISTS (SELECT 1 FROM ticket_sync.outbox o WHERE o.link_id = l.id AND o.state IN ('pending', 'delivering'))
       THEN 'pending' ELSE 'synced' END AS sync_state,
  (SELECT o.last_error FROM ticket_sync.outbox o WHERE o.link_id = l.id AND o.state = 'failed' ORDER BY o.id DESC LIMIT 1)
    AS last_error,
  to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at,
  to_char(l.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS closed_at
  FROM ticket_sync.ticket_links l
  WHERE l.org_id = '00000000-0000-4000-8000-000000000050' AND l.evidence_request_id = '00000000-0000-4000-9000-0000000500:r'
    AND l.unlinked_at IS NULL \gset
BEGIN;
INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author_user_id, author, body, sync_state)
  VALUES ('00000000-0000-4000-8000-000000000050', '00000000-0000-4000-9000-0000000500:r', 'internal',
          '00000000-0000-4000-a000-000000000001', 'Bench', 'Benchmark comment with a realistic length of text in it.', 'pending')
  RETURNING id AS comment_id \gset
INSERT INTO ticket_sync.outbox (event_id, org_id, link_id, comment_id, provider, event_type, body)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-000000000050', ':link_id', :comment_id, 'mock', 'ticket.comment',
          '{"comment":{"author":"Bench","body":"Benchmark comment with a realistic length of text in it."}}')
  RETURNING id AS outbox_id \gset
COMMIT;
WITH due AS (
  SELECT o.id FROM ticket_sync.outbox o
  WHERE ((o.state = 'pending' AND o.next_attempt_at <= now()) OR (o.state = 'delivering' AND o.locked_until < now()))
    AND o.id = :outbox_id
    AND NOT EXISTS (SELECT 1 FROM ticket_sync.outbox e WHERE e.link_id = o.link_id AND e.id < o.id AND e.state <> 'delivered')
  ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE ticket_sync.outbox o SET state = 'delivering', attempts = o.attempts + 1, locked_until = now() + make_interval(secs => 33)
  FROM due, ticket_sync.ticket_links l WHERE o.id = due.id AND l.id = o.link_id
  RETURNING o.id, o.event_id, o.org_id, o.link_id, l.evidence_request_id, o.comment_id, o.provider, o.event_type, o.body,
            o.attempts, l.external_id, l.external_ref;
BEGIN;
UPDATE ticket_sync.outbox SET state = 'delivered', delivered_at = now(), locked_until = NULL, last_status = NULL,
  last_error = NULL WHERE id = :outbox_id;
UPDATE ticket_sync.comments c SET sync_state = 'synced', last_error = NULL,
  external_comment_id = CASE WHEN EXISTS (SELECT 1 FROM ticket_sync.comments d WHERE d.evidence_request_id = c.evidence_request_id
    AND d.external_comment_id = 'bench-post-' || :r || '-c' || :comment_id AND d.id <> c.id) THEN 'ticketsync-comment-' || :comment_id
    ELSE 'bench-post-' || :r || '-c' || :comment_id END
  WHERE c.org_id = '00000000-0000-4000-8000-000000000050' AND c.id = :comment_id RETURNING id;
INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, external_comment_id)
  VALUES ('00000000-0000-4000-8000-000000000050', '00000000-0000-4000-9000-0000000500:r', 'external', 'bench-post-' || :r || ' (ext)',
          'Received on bench-post-' || :r || ': Benchmark comment', 'bench-post-' || :r || '-echo-' || :comment_id)
  ON CONFLICT (evidence_request_id, external_comment_id) DO NOTHING RETURNING id;
COMMIT;
SELECT id, source, author, body, external_comment_id, sync_state, last_error,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM ticket_sync.comments
  WHERE org_id = '00000000-0000-4000-8000-000000000050' AND id = :comment_id;
