import TicketSyncPlatform

/// Applies what a sweep (or "Re-sync now") read from a tracker to the link of that ticket, through the webhooks'
/// idempotent paths: comments de-duplicated on their external ids (ours included), the status through the status map
/// and ordered by the tracker's time, a deletion marked once. Each repair writes its `sync.drift_repaired` audit row
/// (the drift ledger) in the transaction that made it, so a second sweep, a late webhook, or two responders sweeping
/// at once never apply a change twice.
struct SweepApplier {
    let db: PGConnection
    let scope: InboundScope
    let statusMap: StatusMap
    /// `sweep` or `resync`.
    let foundBy: String
    let metrics: Metrics?

    /// Nil when no active link has the ticket (it was unlinked, or is not ours).
    func apply(_ ticket: SweptTicket) throws -> (link: TicketLink, repairs: SweepRepairs)? {
        guard let link = try TicketLinkStore(db: db).active(externalID: ticket.externalID, scope: scope),
            !link.isCreating
        else { return nil }
        return (link, try apply(ticket, to: link))
    }

    func apply(_ ticket: SweptTicket, to link: TicketLink) throws -> SweepRepairs {
        var repairs = SweepRepairs()
        let actor = AuditActor.connection(link.connectionID)
        let sync = TrackerStatusSync(
            db: db, link: link, actor: actor, origin: .drift(foundBy: foundBy, time: ticket.changedAt))
        if ticket.deleted {
            repairs.deleted = try sync.deleted(by: nil)
            if repairs.deleted { count(link, "deleted") }
            return repairs
        }
        if !ticket.comments.isEmpty {
            if try commentOnItsWay(link) {
                repairs.deferred = true
            } else {
                for comment in ticket.comments where try add(comment, to: link, time: ticket.changedAt) {
                    repairs.commentsAdded += 1
                    count(link, "comment")
                }
            }
        }
        if let change = ticket.status, Self.drifted(link, to: change),
            case .applied(let status, let linkChange) = try sync.apply(change, map: statusMap)
        {
            repairs.statusBefore = link.trackerStatus?.name
            repairs.statusAfter = change.name
            repairs.requestStatus = status
            repairs.link = linkChange
            count(link, linkChange == "closed" ? "closed" : "status")
        }
        if !repairs.deferred { try markVerified(link) }
        return repairs
    }

    /// Whether the tracker's status differs from what the link last applied. A link that never heard of a status
    /// agrees with a ticket still in its first (new) category, unless it is closed here.
    static func drifted(_ link: TicketLink, to change: TrackerStatusChange) -> Bool {
        guard let known = link.trackerStatus else {
            return change.category != .new || link.isClosed
        }
        return known.name != change.name || known.category != change.category.rawValue
    }

    /// One of our comments is being delivered, or waits to be: its id is not stored yet, so the tracker's copy of
    /// it would look like a reply.
    private func commentOnItsWay(_ link: TicketLink) throws -> Bool {
        try db.query(
            """
            SELECT EXISTS (SELECT 1 FROM ticket_sync.outbox o WHERE o.link_id = $1 AND o.event_type = 'ticket.comment'
                           AND o.state IN ('pending', 'delivering')) AS busy
            """, [link.id.rawValue]
        ).single("outbox").bool("busy")
    }

    /// Inserts the comment unless its external id is already in the thread; the ledger row with it.
    private func add(_ comment: InboundEvent.ExternalComment, to link: TicketLink, time: Int64?) throws -> Bool {
        try db.transaction {
            let inserted =
                try db.query(
                    CommentStore.externalStatement(
                        org: link.orgID, request: link.evidenceRequestID, author: comment.author, body: comment.body,
                        externalCommentID: comment.externalCommentID, heldBy: nil)
                ).first != nil
            guard inserted else { return false }
            var audit = TrackerStatusSync.Origin.drift(foundBy: foundBy, time: time).audit(
                link, actor: .connection(link.connectionID), what: "comment",
                detail: [
                    "external_id": link.externalID.json,
                    "external_comment_id": .string(comment.externalCommentID),
                ])
            audit.commentJustInserted = true
            _ = try db.query(audit.statement)
            return true
        }
    }

    private func markVerified(_ link: TicketLink) throws {
        _ = try db.query(
            PGStatement(
                """
                UPDATE ticket_sync.ticket_links SET last_verified_at = clock_timestamp()
                WHERE org_id = $1 AND id = $2 AND unlinked_at IS NULL
                """, [link.orgID.rawValue, link.id.rawValue]))
    }

    private func count(_ link: TicketLink, _ what: String) {
        metrics?.driftRepaired(provider: link.provider, what: what)
    }
}
