import TicketSyncPlatform

/// Ticket links, always scoped by org, except the inbound lookups by external id, which are scoped by the
/// connection whose signature authorized the event (never across connections).
/// Only links that are not unlinked are "active". A link's sync state is derived from its outbox events.
public struct TicketLinkStore {
    let db: PGConnection

    public init(db: PGConnection) { self.db = db }

    /// Columns of a link aliased `l`, with `sync_state` and `last_error` derived from the outbox: error when an
    /// event gave up, pending while one is queued, synced otherwise; a reservation is pending while its create
    /// runs and error (with the reason) when it failed. "Queued" is asked as the link's first open event (failed ones
    /// already ruled out) by a row comparison on `outbox_open_per_link`, so no plan scans the outbox for it (see
    /// `OutboxStore.firstOpen`).
    static let columns = """
        l.id, l.org_id, l.evidence_request_id, l.provider, l.connection_id, l.external_id, l.external_url, l.external_ref,
        l.state, l.create_error,
        CASE WHEN l.state = 'creating' THEN CASE WHEN l.create_error IS NULL THEN 'pending' ELSE 'error' END
             WHEN l.tracker_error IS NOT NULL THEN 'error'
             WHEN (SELECT true FROM ticket_sync.outbox o WHERE o.link_id = l.id AND o.state = 'failed' LIMIT 1)
             THEN 'error'
             WHEN \(OutboxStore.firstOpen(ofLink: "l.id", column: "link_id")) = l.id
             THEN 'pending'
             ELSE 'synced' END AS sync_state,
        coalesce(l.create_error, l.tracker_error, (SELECT o.last_error FROM ticket_sync.outbox o WHERE o.link_id = l.id AND o.state = 'failed'
         ORDER BY o.id DESC LIMIT 1)) AS last_error,
        \(SQLFragments.timestamp("l.created_at")) AS created_at,
        \(SQLFragments.timestamp("l.updated_at")) AS updated_at,
        \(SQLFragments.timestamp("l.closed_at")) AS closed_at, l.closed_by, l.tracker_status, l.tracker_status_category,
        \(SQLFragments.timestamp("l.tracker_status_at")) AS tracker_status_at,
        \(SQLFragments.timestamp("l.last_verified_at")) AS last_verified_at
        """

    /// The path's active link, read with the authorization.
    static let activeQuery = ReadQuery(
        """
        SELECT \(columns) FROM ticket_sync.ticket_links l
        WHERE l.org_id = auth.auth_request_org_id AND l.evidence_request_id = auth.auth_request_id
          AND l.unlinked_at IS NULL
        """)

    /// Locks a link that is still open (linked, neither closed nor unlinked) for the rest of the transaction: writers
    /// of one link's events take turns, so each sees the events before its own. No row: the link is no longer open.
    static func lockOpenStatement(org: OrgID, id: TicketLinkID) -> PGStatement {
        PGStatement(
            """
            SELECT l.id FROM ticket_sync.ticket_links l
            WHERE l.org_id = $1 AND l.id = $2 AND l.state = 'linked' AND l.closed_at IS NULL AND l.unlinked_at IS NULL
            FOR NO KEY UPDATE
            """, [org.rawValue, id.rawValue])
    }

    public func active(org: OrgID, request: EvidenceRequestID) throws -> TicketLink? {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.ticket_links l
            WHERE l.org_id = $1 AND l.evidence_request_id = $2 AND l.unlinked_at IS NULL
            """, [org.rawValue, request.rawValue]
        ).first.map(Self.decode)
    }

    /// The active link of an external ticket in one connection's tracker (whatever its org: the inbound wire
    /// carries no org, the connection that signed the event does).
    public func active(externalID: ExternalTicketID, scope: InboundScope) throws -> TicketLink? {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.ticket_links l
            WHERE l.external_id = $1 AND \(scope.condition("l.connection_id", parameter: 2)) AND l.unlinked_at IS NULL
            """, [externalID.rawValue] + scope.parameters
        ).first.map(Self.decode)
    }

    /// The active link of a tracker's internal id (a Jira webhook that names only the numeric issue id).
    public func active(provider: String, externalRef: String, scope: InboundScope) throws -> TicketLink? {
        try db.query(
            """
            SELECT \(Self.columns) FROM ticket_sync.ticket_links l
            WHERE l.provider = $1 AND l.external_ref = $2 AND \(scope.condition("l.connection_id", parameter: 3))
              AND l.unlinked_at IS NULL
            """, [provider, externalRef] + scope.parameters
        ).first.map(Self.decode)
    }

    /// Inserts the link; the partial unique indexes turn a second active link into 409.
    public func insert(org: OrgID, request: EvidenceRequestID, ticket: CreatedTicket, connectionID: ConnectionID? = nil)
        throws
        -> TicketLink
    {
        do {
            let rows = try db.query(
                """
                INSERT INTO ticket_sync.ticket_links AS l
                    (org_id, evidence_request_id, provider, external_id, external_url, external_ref, connection_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(Self.columns)
                """,
                [
                    org.rawValue, request.rawValue, ticket.provider, ticket.externalID.rawValue, ticket.externalURL,
                    ticket.externalRef, connectionID?.rawValue,
                ])
            guard let row = rows.first else { throw APIError.internalError }
            return try Self.decode(row)
        } catch let error as PGError where error.sqlstate == .uniqueViolation {
            if error.constraint == "ticket_links_active_external_id"
                || error.constraint == "ticket_links_active_external_ref"
            {
                throw TicketError.externalIDInUse(ticket.externalID.rawValue)
            }
            throw TicketError.alreadyLinked
        }
    }

    /// Reserves the request's one active link for a create (state `creating`, leased for `leaseSeconds`, owned by a
    /// fresh token, its tracker attempt starting now); the one-active-link index turns a second reservation or an
    /// existing link into `TicketError.alreadyLinked`.
    public func reserve(
        org: OrgID, request: EvidenceRequestID, provider: String, connectionID: ConnectionID?, leaseSeconds: Int
    ) throws
        -> Reservation
    {
        do {
            let row = try db.query(
                """
                INSERT INTO ticket_sync.ticket_links AS l
                    (org_id, evidence_request_id, provider, connection_id, state, creating_until, creating_token,
                     tracker_attempt_at)
                VALUES ($1, $2, $3, $4, 'creating', clock_timestamp() + make_interval(secs => $5::int),
                        gen_random_uuid(), clock_timestamp())
                RETURNING \(Self.columns), l.creating_token
                """, [org.rawValue, request.rawValue, provider, connectionID?.rawValue, String(leaseSeconds)]
            ).single("reservation")
            return Reservation(
                link: try Self.decode(row), token: row.string("creating_token"), sinceTrackerAttempt: nil)
        } catch let error as PGError where error.sqlstate == .uniqueViolation {
            throw TicketError.alreadyLinked
        }
    }

    /// Takes over the request's reservation when no create holds it any more (its lease ran out, or it failed or
    /// waited): a fresh token makes the earlier create's completion fail. Nil when there is none, or a create is
    /// still working on it. Says how long ago a create last started asking the tracker (the reservation's age when
    /// that was never recorded).
    public func takeOverReservation(org: OrgID, request: EvidenceRequestID, leaseSeconds: Int) throws -> Reservation? {
        try db.query(
            """
            WITH previous AS (
                SELECT id, coalesce(tracker_attempt_at, created_at) AS attempt_at FROM ticket_sync.ticket_links
                WHERE org_id = $1 AND evidence_request_id = $2 AND unlinked_at IS NULL AND state = 'creating'
                  AND (creating_until IS NULL OR creating_until < clock_timestamp())
                FOR UPDATE
            )
            UPDATE ticket_sync.ticket_links AS l
            SET creating_until = clock_timestamp() + make_interval(secs => $3::int), creating_token = gen_random_uuid(),
                updated_at = clock_timestamp()
            FROM previous p WHERE l.id = p.id
            RETURNING \(Self.columns), l.creating_token,
                extract(epoch FROM clock_timestamp() - p.attempt_at)::float8 AS since_attempt
            """, [org.rawValue, request.rawValue, String(leaseSeconds)]
        ).first.map {
            Reservation(
                link: try Self.decode($0), token: $0.string("creating_token"),
                sinceTrackerAttempt: $0["since_attempt"].flatMap(Double.init))
        }
    }

    /// Records that this create is about to ask the tracker to make the ticket; false when the reservation is no
    /// longer its own.
    public func markTrackerAttempt(_ reservation: Reservation) throws -> Bool {
        try db.query(
            """
            UPDATE ticket_sync.ticket_links SET tracker_attempt_at = clock_timestamp()
            WHERE org_id = $1 AND id = $2 AND state = 'creating' AND unlinked_at IS NULL AND creating_token = $3::uuid
            RETURNING id
            """, [reservation.link.orgID.rawValue, reservation.link.id.rawValue, reservation.token]
        ).count == 1
    }

    /// Completes a reservation with the tracker's ticket; nil when it is no longer this create's (another create took
    /// it over after its lease ran out, or it was unlinked meanwhile).
    public func complete(_ reservation: Reservation, ticket: CreatedTicket) throws -> TicketLink? {
        do {
            return try db.query(
                """
                UPDATE ticket_sync.ticket_links AS l
                SET state = 'linked', external_id = $3, external_url = $4, external_ref = $5, creating_until = NULL,
                    creating_token = NULL, create_error = NULL, updated_at = clock_timestamp()
                WHERE l.org_id = $1 AND l.id = $2 AND l.state = 'creating' AND l.unlinked_at IS NULL
                  AND l.creating_token = $6::uuid
                RETURNING \(Self.columns)
                """,
                [
                    reservation.link.orgID.rawValue, reservation.link.id.rawValue, ticket.externalID.rawValue,
                    ticket.externalURL,
                    ticket.externalRef, reservation.token,
                ]
            ).first.map(Self.decode)
        } catch let error as PGError where error.sqlstate == .uniqueViolation {
            throw TicketError.externalIDInUse(ticket.externalID.rawValue)
        }
    }

    /// Removes a reservation whose tracker call never happened or was clearly refused (nothing to resume), if it is
    /// still this create's.
    public func dropReservation(_ reservation: Reservation) throws {
        try db.query(
            """
            DELETE FROM ticket_sync.ticket_links
            WHERE org_id = $1 AND id = $2 AND state = 'creating' AND creating_token = $3::uuid
            """, [reservation.link.orgID.rawValue, reservation.link.id.rawValue, reservation.token])
    }

    /// Records why a create failed, if the reservation is still this create's; it stays (visible as `error`) until a
    /// retry or an unlink.
    public func failReservation(_ reservation: Reservation, reason: String) throws {
        try db.query(
            """
            UPDATE ticket_sync.ticket_links SET creating_until = NULL, create_error = $3, updated_at = clock_timestamp()
            WHERE org_id = $1 AND id = $2 AND state = 'creating' AND creating_token = $4::uuid
            """, [reservation.link.orgID.rawValue, reservation.link.id.rawValue, reason, reservation.token])
    }

    /// Gives a reservation back without a verdict (a resume that must wait): the next create or retry may take it
    /// over at once; its error, if any, stays.
    public func releaseReservation(_ reservation: Reservation) throws {
        try db.query(
            """
            UPDATE ticket_sync.ticket_links SET creating_until = NULL, updated_at = clock_timestamp()
            WHERE org_id = $1 AND id = $2 AND state = 'creating' AND creating_token = $3::uuid
            """, [reservation.link.orgID.rawValue, reservation.link.id.rawValue, reservation.token])
    }

    /// Marks the link closed; nil when it was closed meanwhile (the caller answers 409).
    public func markClosed(org: OrgID, id: TicketLinkID) throws -> TicketLink? {
        try db.query(
            """
            UPDATE ticket_sync.ticket_links AS l
            SET closed_at = clock_timestamp(), closed_by = 'user', updated_at = clock_timestamp()
            WHERE l.org_id = $1 AND l.id = $2 AND l.closed_at IS NULL AND l.unlinked_at IS NULL
            RETURNING \(Self.columns)
            """, [org.rawValue, id.rawValue]
        ).first.map(Self.decode)
    }

    /// Detaches the active link, keeping it as history. Returns its id; nil when there was none.
    public func unlink(org: OrgID, request: EvidenceRequestID) throws -> TicketLinkID? {
        try db.query(
            """
            UPDATE ticket_sync.ticket_links SET unlinked_at = clock_timestamp(), updated_at = clock_timestamp()
            WHERE org_id = $1 AND evidence_request_id = $2 AND unlinked_at IS NULL
            RETURNING id
            """, [org.rawValue, request.rawValue]
        ).first?.id("id")
    }

    static func decode(_ row: PGRow) throws -> TicketLink {
        TicketLink(
            id: row.id("id"), orgID: row.id("org_id"), evidenceRequestID: row.id("evidence_request_id"),
            provider: row.string("provider"), connectionID: row.optionalID("connection_id"),
            externalID: row.id("external_id"),
            isCreating: try row.parsed("state", TicketLink.State.init(rawValue:)) == .creating,
            createError: row["create_error"],
            externalURL: row["external_url"], externalRef: row["external_ref"],
            syncState: try row.parsed("sync_state", TicketLink.SyncState.init(rawValue:)),
            lastError: row["last_error"], createdAt: row.string("created_at"),
            updatedAt: row.string("updated_at"), closedAt: row["closed_at"],
            closedBy: try row["closed_by"].map { text in
                guard let closedBy = TicketLink.ClosedBy(rawValue: text) else {
                    throw StoredValueError("closed_by", text)
                }
                return closedBy
            },
            trackerStatus: row["tracker_status"].map {
                TicketLink.TrackerStatus(
                    name: $0, category: row.string("tracker_status_category"),
                    changedAt: row.string("tracker_status_at"))
            }, lastVerifiedAt: row["last_verified_at"])
    }
}
