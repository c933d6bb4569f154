-- `make bench SCALE=large`: runs after seed.sql (whose org 50 the small benchmark's paths use) and grows the database
-- to 10,000 orgs × 100 evidence requests, 1,000,000 comments (threads of 1 to 2,000), 100,000 links, 1,000,000
-- delivered and 10,000 pending outbox events and 1,000,000 audit rows. Set-based (generate_series, INSERT … SELECT)
-- into the tables as the migrations made them, indexes and all, then VACUUM ANALYZE.
-- Org 50's request 2 gets a thread of 2,000 (the deep cursor's); request 1 keeps its 20 (the small table's thread).
\timing on
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

INSERT INTO orgs (id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, 'Bench org ' || o
FROM generate_series(101, 10000) o;
INSERT INTO evidence_requests (id, org_id, title, description)
SELECT ('00000000-0000-4000-9000-' || lpad((o * 1000 + r)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, 'Request ' || r, 'Benchmark request'
FROM generate_series(101, 10000) o, generate_series(1, 100) r;
INSERT INTO org_memberships (org_id, user_id, permission)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, '00000000-0000-4000-a000-000000000001',
       'configure'
FROM generate_series(101, 10000) o;

-- Comments: 200 threads of 2,000 (org 50 request 2, and request 1 of orgs 101–299) = 400,000, and 60,000 threads
-- of 1 to 19 (requests 2–7 of orgs 101–10,000, 10 on average) = 600,000. Times one second apart, oldest first.
INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, sync_state, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad((o * 1000 + r)::text, 12, '0'))::uuid, 'internal', 'Bench',
       'Comment number ' || n || ' of a long thread, with a realistic length of text in it.', NULL,
       now() - interval '30 days' + n * interval '1 second'
FROM (SELECT 50 AS o, 2 AS r UNION ALL SELECT o, 1 FROM generate_series(101, 299) o) t,
     generate_series(1, 2000) n;
INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, sync_state, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad((o * 1000 + r)::text, 12, '0'))::uuid, 'internal', 'Bench',
       'Comment number ' || n || ' of a short thread, with a realistic length of text in it.', NULL,
       now() - interval '30 days' + n * interval '1 second'
FROM generate_series(101, 10000) o, generate_series(2, 7) r, generate_series(1, 19) n
WHERE n <= 1 + (o * 7 + r * 13) % 19;

-- 100,000 active mock links: requests 11–20 of orgs 101–10,000 (99,000) and request 21 of orgs 101–1,100.
INSERT INTO ticket_sync.ticket_links (org_id, evidence_request_id, provider, external_id, external_url)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad((o * 1000 + r)::text, 12, '0'))::uuid, 'mock',
       'large-' || o || '-' || r, 'https://mock-tracker.invalid/browse/large-' || o || '-' || r
FROM generate_series(101, 10000) o, generate_series(11, 21) r
WHERE r <= 20 OR o <= 1100;

-- 1,000,000 delivered events, ten per link, delivered within the retention (they stay through the run).
INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, state, attempts, created_at,
                                delivered_at)
SELECT l.org_id, l.id, 'mock', 'ticket.close', '{"event_type":"ticket.close"}', 'delivered', 1,
       now() - (k + 1) * interval '12 hours', now() - (k + 1) * interval '12 hours' + interval '1 second'
FROM ticket_sync.ticket_links l, generate_series(0, 9) k
WHERE l.external_id LIKE 'large-%';

-- 10,000 pending comment events, one per link (the first 10,000 links by id), each with its pending comment:
-- the mock tracker delivers them without a network. They are held (due in ten years) until bench.py makes them due
-- and times the drain.
WITH pending AS (
    INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, sync_state)
    SELECT l.org_id, l.evidence_request_id, 'internal', 'Bench', 'A comment waiting for delivery.', 'pending'
    FROM ticket_sync.ticket_links l
    WHERE l.id IN (SELECT id FROM ticket_sync.ticket_links WHERE external_id LIKE 'large-%' ORDER BY id LIMIT 10000)
    RETURNING id, org_id, evidence_request_id)
INSERT INTO ticket_sync.outbox (org_id, link_id, comment_id, provider, event_type, body, state, next_attempt_at)
SELECT p.org_id, l.id, p.id, 'mock', 'ticket.comment',
       json_build_object('event_type', 'ticket.comment', 'external_id', l.external_id,
                         'comment', json_build_object('id', p.id, 'body', 'A comment waiting for delivery.'))::text,
       'pending', now() + interval '10 years'
FROM pending p JOIN ticket_sync.ticket_links l
    ON l.evidence_request_id = p.evidence_request_id AND l.unlinked_at IS NULL;

-- 1,000,000 audit rows over the last year, a hundred per org.
INSERT INTO ticket_sync.audit_events (org_id, at, action, actor_kind, actor_user_id, evidence_request_id, detail)
SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid,
       now() - (365 - k * 3.65) * interval '1 day', 'comment.create', 'user',
       '00000000-0000-4000-a000-000000000001'::uuid,
       ('00000000-0000-4000-9000-' || lpad((o * 1000 + 1 + k)::text, 12, '0'))::uuid, '{"pushed": false}'::jsonb
FROM generate_series(101, 10000) o, generate_series(0, 99) k
UNION ALL
SELECT '00000000-0000-4000-8000-000000000050', now() - (365 - k * 0.0365) * interval '1 day', 'comment.create',
       'user', '00000000-0000-4000-a000-000000000001'::uuid, '00000000-0000-4000-9000-000000050001'::uuid,
       '{"pushed": false}'::jsonb
FROM generate_series(0, 9999) k;
-- VACUUM as well: autovacuum would otherwise visit the freshly loaded tables (a million rows each) during the
-- first measurements after the seed (the thread's first page, measured first, read 0.96 and 1.71 × the small set
-- in two runs of one build without it).
VACUUM ANALYZE;
SELECT (SELECT count(*) FROM orgs) AS orgs, (SELECT count(*) FROM evidence_requests) AS requests,
       (SELECT count(*) FROM ticket_sync.comments) AS comments, (SELECT count(*) FROM ticket_sync.ticket_links) AS links,
       (SELECT count(*) FROM ticket_sync.outbox WHERE state = 'delivered') AS delivered,
       (SELECT count(*) FROM ticket_sync.outbox WHERE state = 'pending') AS pending,
       (SELECT count(*) FROM ticket_sync.audit_events) AS audit;
