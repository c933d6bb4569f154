-- The benchmark's database: 100 orgs × 100 evidence requests, one member with a known token in every org,
-- a thread of 20 comments, a linked mock ticket for the comment POST and one for the inbound webhook.
-- psql variables: token_digest (hex SHA-256 of the bench token).
INSERT INTO orgs (id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, 'Bench org ' || o FROM generate_series(1, 100) o;
INSERT INTO evidence_requests (id, org_id, title, description)
SELECT ('00000000-0000-4000-9000-' || lpad((o * 1000 + r)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, 'Request ' || r, 'Benchmark request'
FROM generate_series(1, 100) o, generate_series(1, 100) r;
INSERT INTO users (id, email, display_name) VALUES ('00000000-0000-4000-a000-000000000001', 'bench@bench.example', 'Bench');
INSERT INTO org_memberships (org_id, user_id, permission)
SELECT id, '00000000-0000-4000-a000-000000000001', 'configure' FROM orgs WHERE name LIKE 'Bench org %';
INSERT INTO ticket_sync.api_tokens (user_id, token_sha256, name)
VALUES ('00000000-0000-4000-a000-000000000001', decode(:'token_digest', 'hex'), 'bench');
-- Org 50: request 1 has a 20-comment thread; requests 10–99 have linked mock tickets (the comment POST spreads over
-- them, as writers spread over tickets); request 3 has one for the webhook.
INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body)
SELECT '00000000-0000-4000-8000-000000000050', '00000000-0000-4000-9000-000000050001', 'internal', 'Bench',
       'Comment number ' || n || ' of the benchmark thread, with a realistic length of text in it.'
FROM generate_series(1, 20) n;
INSERT INTO ticket_sync.ticket_links (org_id, evidence_request_id, provider, external_id, external_url)
SELECT '00000000-0000-4000-8000-000000000050', ('00000000-0000-4000-9000-0000000500' || r)::uuid, 'mock',
       'bench-post-' || r, 'https://mock-tracker.invalid/browse/bench-post-' || r
FROM generate_series(10, 99) r;
INSERT INTO ticket_sync.ticket_links (org_id, evidence_request_id, provider, external_id, external_url)
VALUES ('00000000-0000-4000-8000-000000000050', '00000000-0000-4000-9000-000000050003', 'mock', 'bench-hook',
        'https://mock-tracker.invalid/browse/bench-hook');
ANALYZE;
