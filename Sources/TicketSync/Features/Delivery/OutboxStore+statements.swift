import TicketSyncPlatform

/// The outbox writes as statements, so a use case can send them in one pipeline with the comment writes they go
/// with (one round trip, one transaction).
extension OutboxStore {
    static func deliveredStatement(_ event: OutboxEvent, status: Int?) -> PGStatement {
        PGStatement(
            """
            UPDATE ticket_sync.outbox SET state = 'delivered', delivered_at = now(), locked_until = NULL,
                last_status = $2, last_error = NULL
            WHERE id = $1 AND state = 'delivering' AND lease_token = $3::uuid
            """, [String(event.id), status.map(String.init), event.leaseToken])
    }

    static func retryStatement(_ event: OutboxEvent, afterMilliseconds delay: Int, status: Int?, reason: String)
        -> PGStatement
    {
        PGStatement(
            """
            UPDATE ticket_sync.outbox SET state = 'pending', locked_until = NULL,
                next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
                last_status = $3, last_error = $4
            WHERE id = $1 AND state = 'delivering' AND lease_token = $5::uuid
            """, [String(event.id), String(delay), status.map(String.init), reason, event.leaseToken])
    }

    static func failedStatement(_ event: OutboxEvent, status: Int?, reason: String) -> PGStatement {
        PGStatement(
            """
            UPDATE ticket_sync.outbox SET state = 'failed', locked_until = NULL, last_status = $2, last_error = $3
            WHERE id = $1 AND state = 'delivering' AND lease_token = $4::uuid
            """, [String(event.id), status.map(String.init), reason, event.leaseToken])
    }

    /// A condition (with its parameters, numbered from `firstParameter`) that holds while `event` stands in
    /// `state` under this claim's lease; always true without an event.
    static func held(_ event: OutboxEvent?, state: String, firstParameter n: Int) -> SQLCondition {
        guard let event else { return .always }
        return SQLCondition(
            sql: """
                EXISTS (SELECT 1 FROM ticket_sync.outbox h
                        WHERE h.id = $\(n)::bigint AND h.state = $\(n + 1) AND h.lease_token = $\(n + 2)::uuid)
                """, params: [String(event.id), state, event.leaseToken])
    }

    /// Queues a link's comment event. With `claimFor` (a lease in seconds) the event is claimed at once for the
    /// writer's own first attempt, unless an earlier event of the link is still queued: events of a link go out
    /// in order, so it then waits for the delivery loop — from the moment it is the link's first, since no writer
    /// will attempt it (its `next_attempt_at` is -infinity, which the loops' grace for a writer's own attempt does
    /// not wait for). Run it after the link's row is locked (see `TicketLinkStore.lockOpenStatement`), so two
    /// writers on one link never both claim. Whether it is first is looked up once (`OFFSET 0` keeps the subquery
    /// whole): pulled up, each of the five columns that use it ran the lookup again.
    static func enqueueCommentStatement(
        link: TicketLink, commentID: Int, eventID: String, body: JSONValue, claimFor leaseSeconds: Int?
    ) -> PGStatement {
        PGStatement(
            """
            INSERT INTO ticket_sync.outbox AS o (event_id, org_id, link_id, comment_id, provider, event_type, body,
                connection_id, state, attempts, locked_until, lease_token, next_attempt_at)
            SELECT $1::uuid, $2::uuid, $3::uuid, $4::bigint, $5::text, 'ticket.comment', $6::text, $7::uuid,
                   CASE WHEN q.first THEN 'delivering' ELSE 'pending' END, CASE WHEN q.first THEN 1 ELSE 0 END,
                   CASE WHEN q.first THEN now() + make_interval(secs => $8::int) END,
                   CASE WHEN q.first THEN gen_random_uuid() END,
                   CASE WHEN q.first THEN now() ELSE '-infinity' END
            FROM (SELECT $8::int IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM ticket_sync.outbox e
                      WHERE e.link_id = $3::uuid AND e.state NOT IN ('delivered', 'cancelled')) AS first
                  OFFSET 0) q
            RETURNING o.id, o.state, o.attempts, o.lease_token
            """,
            [
                eventID, link.orgID.rawValue, link.id.rawValue, String(commentID), link.provider, body.text,
                link.connectionID?.rawValue,
                leaseSeconds.map(String.init),
            ])
    }
}
