import TicketSyncPlatform

/// The statement behind `GET …/ticket-sync/health`: the org's counts, one keyset page of its links that need
/// attention and its sweeps, as one row of three json columns, read with the authorization (one round trip).
/// Only the path's org's links and connections are read; the deployment default's sweep rows only for the tracker
/// kinds the org's own deployment-default links use.
enum SyncHealthQuery {
    /// `$4` pending threshold (s), `$5` sweep interval (s), `$6` poll interval (s), `$7`/`$8` the cursor's
    /// (created_at, id) or nulls, `$9` the page size plus one.
    static let query = ReadQuery(
        """
        WITH links AS (
            SELECT l.id, l.evidence_request_id, r.title, l.external_id, l.provider, l.connection_id, l.created_at,
                   l.last_verified_at,
                   (SELECT count(*) FROM ticket_sync.comments c
                    WHERE c.org_id = l.org_id AND c.evidence_request_id = l.evidence_request_id
                      AND c.source = 'internal' AND c.sync_state = 'error') AS comments_failed,
                   (SELECT count(*) FROM ticket_sync.comments c
                    WHERE c.org_id = l.org_id AND c.evidence_request_id = l.evidence_request_id
                      AND c.source = 'internal' AND c.sync_state = 'pending'
                      AND c.created_at < clock_timestamp() - make_interval(secs => $4::int)) AS comments_pending,
                   (SELECT count(*) FROM ticket_sync.outbox o
                    WHERE o.link_id = l.id AND o.state = 'pending' AND o.attempts > 0) AS deliveries_retrying,
                   -- Swept links only (not a create still running or failed, nor a ticket gone from the tracker).
                   (l.state = 'linked' AND l.tracker_error IS NULL
                    AND coalesce(l.last_verified_at, l.created_at) < clock_timestamp() - make_interval(
                        secs => 2 * CASE WHEN cn.settings ->> 'inbound_mode' = 'poll' THEN $6::int ELSE $5::int END)
                   ) AS unverified,
                   coalesce(s.error IS NOT NULL, false) AS sweep_failed,
                   coalesce(cn.settings ? 'needs_reconnect', false) AS needs_reconnect
            FROM ticket_sync.ticket_links l
            JOIN {host}.evidence_requests r ON r.org_id = l.org_id AND r.id = l.evidence_request_id
            LEFT JOIN ticket_sync.connections cn ON cn.id = l.connection_id AND cn.org_id = l.org_id
            LEFT JOIN ticket_sync.sync_sweeps s ON s.scope = coalesce(l.connection_id::text, 'deployment:' || l.provider)
            WHERE l.org_id = $2::uuid AND l.unlinked_at IS NULL
        ), judged AS (
            SELECT links.*, array_remove(ARRAY[
                       CASE WHEN comments_failed > 0 THEN 'comment_failed' END,
                       CASE WHEN comments_pending > 0 THEN 'comment_pending' END,
                       CASE WHEN deliveries_retrying > 0 THEN 'delivery_retrying' END,
                       CASE WHEN unverified THEN 'unverified' END,
                       CASE WHEN sweep_failed THEN 'sweep_failed' END,
                       CASE WHEN needs_reconnect THEN 'needs_reconnect' END], NULL) AS reasons
            FROM links
        ), sweeps AS (
            SELECT 0 AS rank, c.created_at, c.id::text AS sort, json_build_object(
                       'connection_id', c.id, 'name', c.name, 'kind', c.kind, 'disabled', c.disabled,
                       'state', CASE WHEN c.settings ? 'needs_reconnect' THEN 'needs_reconnect' ELSE 'ok' END,
                       'inbound_mode', coalesce(c.settings ->> 'inbound_mode', 'webhook'),
                       'last_sweep', CASE WHEN s.started_at IS NULL THEN NULL ELSE \(SweepState.object("s")) END
                   ) AS item,
                   coalesce(s.error IS NOT NULL OR NOT s.sweepable, false) OR c.settings ? 'needs_reconnect' AS failing,
                   c.settings ? 'needs_reconnect' AS reconnect
            FROM ticket_sync.connections c
            LEFT JOIN ticket_sync.sync_sweeps s ON s.connection_id = c.id
            WHERE c.org_id = $2::uuid AND c.deleted_at IS NULL
            UNION ALL
            SELECT 1, NULL, k.provider, json_build_object(
                       'connection_id', NULL, 'name', NULL, 'kind', k.provider, 'disabled', false,
                       'state', 'ok', 'inbound_mode', 'webhook',
                       'last_sweep', CASE WHEN s.started_at IS NULL THEN NULL
                                          ELSE \(SweepState.object("s", shared: true)) END),
                   coalesce(s.error IS NOT NULL OR NOT s.sweepable, false), false
            FROM (SELECT DISTINCT provider FROM links WHERE connection_id IS NULL) k
            LEFT JOIN ticket_sync.sync_sweeps s ON s.scope = 'deployment:' || k.provider
        )
        SELECT
            (SELECT json_build_object(
                 'links', count(*),
                 'links_needing_attention', count(*) FILTER (WHERE cardinality(reasons) > 0),
                 'comments_failed', coalesce(sum(comments_failed), 0),
                 'comments_pending', coalesce(sum(comments_pending), 0),
                 'deliveries_retrying', coalesce(sum(deliveries_retrying), 0),
                 'links_unverified', count(*) FILTER (WHERE unverified),
                 'sweeps_failing', (SELECT count(*) FROM sweeps WHERE failing),
                 'connections_needing_reconnect', (SELECT count(*) FROM sweeps WHERE reconnect))
             FROM judged)::text AS counts,
            (SELECT coalesce(json_agg(json_build_object(
                         'evidence_request_id', p.evidence_request_id, 'title', p.title,
                         'external_id', nullif(p.external_id, ''),
                         'provider', p.provider, 'connection_id', p.connection_id, 'reasons', p.reasons,
                         'last_verified_at', \(SQLFragments.timestamp("p.last_verified_at")),
                         't', \(SQLFragments.timestamp("p.created_at")), 'i', p.id)
                     ORDER BY p.created_at, p.id), '[]')
             FROM (SELECT * FROM judged
                   WHERE cardinality(reasons) > 0
                     AND ($7::timestamptz IS NULL OR (created_at, id) > ($7::timestamptz, $8::uuid))
                   ORDER BY created_at, id LIMIT $9::int) p)::text AS links,
            (SELECT coalesce(json_agg(item ORDER BY rank, created_at, sort), '[]') FROM sweeps)::text AS sweeps
        """)
}
