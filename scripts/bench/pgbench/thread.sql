-- GET .../comments: the statements the responder runs (AuthStore.principal, EvidenceRequestStore.find, CommentStore.thread).
SELECT u.id, u.display_name, u.email, m.permission FROM ticket_sync.api_tokens t JOIN users u ON u.id = t.user_id
  LEFT JOIN org_memberships m ON m.user_id = u.id AND m.org_id = '00000000-0000-4000-8000-000000000050'::uuid
  WHERE t.token_sha256 = decode('{digest}', 'hex') AND t.revoked_at IS NULL;
SELECT id, org_id, title, description, status FROM evidence_requests
  WHERE org_id = '00000000-0000-4000-8000-000000000050' AND id = '00000000-0000-4000-9000-000000050001';
SELECT id, source, author, body, external_comment_id, sync_state, last_error,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at FROM ticket_sync.comments
  WHERE org_id = '00000000-0000-4000-8000-000000000050' AND evidence_request_id = '00000000-0000-4000-9000-000000050001'
  ORDER BY created_at, id;
