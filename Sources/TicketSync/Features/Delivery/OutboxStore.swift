import TicketSyncPlatform

/// The outbox table: enqueue in the caller's transaction; claim, then record each attempt's outcome.
public struct OutboxStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// The event belongs to the link's connection (recorded on the event too, so claims can filter on it).
    public func enqueue(
        link: TicketLink, commentID: Int?, type: OutboxEvent.EventType, eventID: String,
        body: JSONValue
    ) throws {
        try db.query(
            """
            INSERT INTO ticket_sync.outbox (event_id, org_id, link_id, comment_id, provider, event_type, body, connection_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            [
                eventID, link.orgID.rawValue, link.id.rawValue, commentID.map(String.init), link.provider,
                type.rawValue,
                body.text, link.connectionID?.rawValue,
            ])
    }

    /// Due, and first of its link: not delivered or cancelled (first, so the planner uses `outbox_open_per_link`),
    /// waiting for its time or held by a lease that expired, past the request's own first attempt (`$grace` seconds
    /// after it was queued or requeued; an event queued behind another has no such attempt coming: -infinity),
    /// of a deployment-default provider this loop delivers (`$providers`) or of a usable connection, and with no
    /// earlier open event of the same link. `grace` and `providers` are the statement's parameter numbers.
    private static let claimDue = due(grace: 5, providers: 6)

    static func due(grace: Int, providers: Int) -> String {
        """
        o.state NOT IN ('delivered', 'cancelled')
          AND ((o.state = 'pending' AND o.next_attempt_at <= now())
               OR (o.state = 'delivering' AND o.locked_until < now()))
          AND ($\(grace)::int IS NULL OR o.attempts > 0
               OR o.next_attempt_at < now() - make_interval(secs => $\(grace)::int))
          AND (CASE WHEN o.connection_id IS NULL
                    THEN ($\(providers)::text[] IS NULL OR o.provider = ANY($\(providers)::text[]))
               ELSE EXISTS (SELECT 1 FROM ticket_sync.connections c
                            WHERE c.id = o.connection_id AND NOT c.disabled AND c.deleted_at IS NULL) END)
          AND \(firstOfLink("o"))
        """
    }

    /// The claim's update of its `due` events (and their links, `l`), each table read by the ids `due` found: as a
    /// join alone, a generic plan made on a nearly empty outbox (the soak's first second) read the whole outbox by
    /// its primary key for every claim and looked each row up in `due` (14,000 buffers a claim 30 s in).
    static let claimedRows = """
        o.id = due.id AND l.id = o.link_id
          AND o.id = ANY (ARRAY(SELECT due.id FROM due)) AND l.id = ANY (ARRAY(SELECT due.link_id FROM due))
        """

    /// The largest event id: the upper end of one link's (or lane's) range in a row comparison.
    static let maxID = "9223372036854775807"

    /// The first open event of the link `link` (an SQL expression), its `column`: asked as "the first open event
    /// between (link, 0) and (link, maxID) in `outbox_open_per_link`", a range of row comparisons only that index can
    /// answer in order, so no generic plan walks the open events by id instead (as `NOT EXISTS (… e.id < o.id)`
    /// could, when few links hold most of the queue and the estimate expects a match within a few rows). Both ends
    /// bound it: a link with nothing open stops at its own end, not at the next link's first event.
    static func firstOpen(ofLink link: String, column: String) -> String {
        """
        (SELECT e.\(column) FROM ticket_sync.outbox e
         WHERE (e.link_id, e.id) BETWEEN (\(link), 0) AND (\(link), \(maxID))
           AND e.state NOT IN ('delivered', 'cancelled')
         ORDER BY e.link_id, e.id LIMIT 1)
        """
    }

    /// Whether the event `alias` is its link's first open event.
    static func firstOfLink(_ alias: String) -> String {
        firstOpen(ofLink: "\(alias).link_id", column: "id") + " = \(alias).id"
    }

    /// Claims due events (or one named event) with FOR UPDATE SKIP LOCKED, so any number of loops can run.
    /// An event is due only when every earlier event of its link is delivered: events of one link go out in order.
    /// A claim is a lease: an event whose claimer died is claimed again once `locked_until` passes.
    /// `graceSeconds` leaves events that were never attempted alone for that long: the API request that wrote one
    /// makes the first attempt itself (and returns the outcome); the loop takes over only if that never happens.
    /// `providers` limits a loop to the deployment-default events it can deliver: a process where a provider is not
    /// configured (say, during a configuration rollout) leaves that provider's events to the processes where it is.
    /// Events of org connections are claimed by any loop, unless their connection is disabled (they wait).
    public func claim(
        limit: Int, leaseSeconds: Int, eventID: String? = nil, linkID: TicketLinkID? = nil,
        graceSeconds: Int? = nil, providers: [String]? = nil
    ) throws -> [OutboxEvent] {
        try db.pipeline([
            PGStatement.genericPlans,
            Self.claimStatement(
                limit: limit, leaseSeconds: leaseSeconds, eventID: eventID, linkID: linkID, graceSeconds: graceSeconds,
                providers: providers),
        ]).at(1).all.map(Self.decode)
    }

    /// `claim` as a statement, for a pipeline (the delivery loop claims a link's next event with the outcome of
    /// the one before). A named event is found by its id, a link's by the link's first open event (only it can be
    /// due): as one statement with optional filters, the generic plan walked the open events by id from the
    /// oldest, over the dead entries of every event delivered since the last vacuum (up to 490 ms a claim in the
    /// soak).
    static func claimStatement(
        limit: Int, leaseSeconds: Int, eventID: String? = nil, linkID: TicketLinkID? = nil,
        graceSeconds: Int? = nil, providers: [String]? = nil
    ) -> PGStatement {
        let candidates =
            eventID != nil
            ? "o.id = ANY (ARRAY(SELECT c.id FROM ticket_sync.outbox c WHERE c.event_id = $3::uuid)) AND"
            : linkID != nil
                ? "o.id = ANY (ARRAY\(firstOpen(ofLink: "$4::uuid", column: "id"))) AND" : ""
        return PGStatement(
            """
            WITH due AS (
                SELECT o.id, o.link_id FROM ticket_sync.outbox o
                WHERE \(candidates) ($3::uuid IS NULL OR o.event_id = $3::uuid)
                  AND ($4::uuid IS NULL OR o.link_id = $4::uuid)
                  AND \(Self.claimDue)
                ORDER BY o.id
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE ticket_sync.outbox o
            SET state = 'delivering', attempts = o.attempts + 1, locked_until = now() + make_interval(secs => $2::int),
                lease_token = gen_random_uuid()
            FROM due, ticket_sync.ticket_links l
            WHERE \(Self.claimedRows)
            RETURNING o.id, o.event_id, o.org_id, o.link_id, o.connection_id, l.evidence_request_id, o.comment_id, o.provider,
                      o.event_type, o.body, o.attempts, l.external_id, l.external_ref, o.lease_token
            """,
            [
                String(limit), String(leaseSeconds), eventID, linkID?.rawValue, graceSeconds.map(String.init),
                providers.map(SQLFragments.textArray),
            ])
    }

    /// The state changes below apply only while the event is still 'delivering' under the lease this claim took:
    /// false when the lease ran out and another loop claimed the event (that loop's outcome stands).
    @discardableResult
    public func markDelivered(_ event: OutboxEvent, status: Int?) throws -> Bool {
        try db.query(Self.deliveredStatement(event, status: status)).affected == 1
    }

    @discardableResult
    public func scheduleRetry(_ event: OutboxEvent, afterMilliseconds delay: Int, status: Int?, reason: String) throws
        -> Bool
    {
        try db.query(Self.retryStatement(event, afterMilliseconds: delay, status: status, reason: reason)).affected == 1
    }

    @discardableResult
    public func markFailed(_ event: OutboxEvent, status: Int?, reason: String) throws -> Bool {
        try db.query(Self.failedStatement(event, status: status, reason: reason)).affected == 1
    }

    /// Cancels a link's undelivered events (the ticket was unlinked): marked, never sent. An attempt already on
    /// its way finishes, but its outcome is not recorded over the cancellation. Returns how many were cancelled.
    @discardableResult
    public func cancelUndelivered(org: OrgID, linkID: TicketLinkID) throws -> Int {
        try db.query(
            """
            UPDATE ticket_sync.outbox SET state = 'cancelled', locked_until = NULL, lease_token = NULL,
                last_error = 'cancelled: the ticket was unlinked'
            WHERE org_id = $1 AND link_id = $2 AND state IN ('pending', 'delivering', 'failed')
            """, [org.rawValue, linkID.rawValue]
        ).affected
    }

    /// Forgets delivered events older than the retention: their comments keep the ids they were stamped with.
    @discardableResult
    public func pruneDelivered(olderThanDays days: Int) throws -> Int {
        try db.query(
            """
            DELETE FROM ticket_sync.outbox
            WHERE (state = 'delivered' AND delivered_at < now() - make_interval(days => $1::int))
               OR (state = 'cancelled' AND created_at < now() - make_interval(days => $1::int))
            """, [String(days)]
        ).affected
    }

    /// Puts a link's failed events back in the queue, due now, with a fresh attempt budget.
    @discardableResult
    public func requeueFailed(org: OrgID, linkID: TicketLinkID) throws -> Int {
        try db.query(
            """
            UPDATE ticket_sync.outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
            WHERE org_id = $1 AND link_id = $2 AND state = 'failed'
            """, [org.rawValue, linkID.rawValue]
        ).affected
    }

    static func decode(_ row: PGRow) throws -> OutboxEvent {
        OutboxEvent(
            id: row.int("id"), eventID: row.string("event_id"), orgID: row.id("org_id"),
            linkID: row.id("link_id"), connectionID: row.optionalID("connection_id"),
            evidenceRequestID: row.id("evidence_request_id"),
            commentID: row["comment_id"].flatMap(Int.init), provider: row.string("provider"),
            eventType: try row.parsed("event_type", OutboxEvent.EventType.init(rawValue:)),
            body: row.string("body"), attempts: row.int("attempts"), externalID: row.id("external_id"),
            externalRef: row["external_ref"], leaseToken: row["lease_token"])
    }
}
