import Foundation

/// Opening, closing, retrying and unlinking a ticket. Each owns its transaction, its outbox write and its inline
/// delivery; none holds a transaction open across a tracker call.
extension SyncActions {
    /// Opens a ticket in the tracker `connectionID` names (or the org's default, or the deployment default) and links
    /// it: reserve, then create, then complete. The reservation (the one-active-link index) lets one of concurrent
    /// creates call the tracker; the others get 409 without calling it. A reservation left by a create that died, or
    /// whose tracker call ended without a clear answer, is resumed: the tracker is asked by the creation key first.
    public func createTicket(org: String, request: EvidenceRequest, connectionID: String?) throws -> TicketLink {
        let config = try providers.configForCreate(org: org, requested: connectionID, db: db)
        let provider = try providers.provider(config)
        let reservation: TicketLink
        do {
            reservation = try links.reserve(
                org: org, request: request.id, provider: config.kind.rawValue, connectionID: config.connectionID,
                leaseSeconds: createLeaseSeconds)
        } catch TicketError.alreadyLinked {
            return try resumeCreate(org: org, request: request)
        }
        return try complete(reservation, request: request, config: config, provider: provider, resumed: false)
    }

    /// Takes over the request's unfinished reservation (create or retry): 409 while another create still holds it.
    func resumeCreate(org: String, request: EvidenceRequest) throws -> TicketLink {
        guard
            let reservation = try links.takeOverReservation(
                org: org, request: request.id, leaseSeconds: createLeaseSeconds)
        else {
            let current = try links.active(org: org, request: request.id)
            throw current?.isCreating == true ? TicketError.beingCreated : TicketError.alreadyLinked
        }
        let config = try providers.config(for: reservation, db: db)
        return try complete(
            reservation, request: request, config: config, provider: try providers.provider(config), resumed: true)
    }

    /// `resumed`: the reservation was left by an earlier create, whose tracker call may have made the ticket: it is
    /// never dropped, whatever this attempt's failure.
    private func complete(
        _ reservation: TicketLink, request: EvidenceRequest, config: TrackerConfig,
        provider: any TicketProvider, resumed: Bool
    ) throws -> TicketLink {
        let key = CreationKey(linkID: reservation.id)
        let ticket: CreatedTicket
        do {
            guard
                let made = try providers.bulkhead.withSlot(
                    TrackerBulkhead.key(config),
                    {
                        try provider.createTicket(for: request, key: key, db: db)
                    })
            else {
                if resumed {
                    try links.failReservation(
                        org: reservation.orgID, id: reservation.id, reason: "the tracker was busy")
                } else {
                    try links.dropReservation(org: reservation.orgID, id: reservation.id)  // the tracker was not asked
                }
                throw APIError.trackerBusy(config)
            }
            ticket = made
        } catch let error as APIError where error.problem.slug != "provider-busy" {
            if resumed || error.problem.extensions["tracker_outcome"] == .string("unknown") {
                // The tracker may have made it: keep the reservation (shown as error) so a retry looks it up by key.
                try links.failReservation(org: reservation.orgID, id: reservation.id, reason: error.problem.detail)
            } else {
                try links.dropReservation(org: reservation.orgID, id: reservation.id)  // refused: nothing was made
            }
            throw error
        }
        FailPoint.hit("after-tracker-create")
        // The link and its audit row in one transaction.
        let linked = try db.transaction { () throws -> TicketLink in
            guard let linked = try links.complete(org: reservation.orgID, id: reservation.id, ticket: ticket) else {
                throw TicketError.unlinkedMeanwhile
            }
            try db.query(
                audit(
                    "ticket.create", link: linked,
                    detail: ["external_id": .string(linked.externalID), "provider": .string(linked.provider)]
                ).statement)
            return linked
        }
        return linked
    }

    /// An audit row about a link of this org.
    func audit(_ action: String, link: TicketLink, detail: [String: JSONValue] = [:]) -> AuditEvent {
        AuditEvent(action, link: link, actor: actor, detail: detail)
    }

    /// Marks the link closed and queues `ticket.close` in one transaction, then delivers it at once. A tracker that
    /// can never close the ticket (no Jira transition to done) refuses before anything is marked.
    public func closeTicket(org: String, request: EvidenceRequest) throws -> TicketLink {
        let link = try activeLink(org: org, request: request.id)
        guard !link.isCreating else { throw TicketError.beingCreated }
        guard !link.isClosed else { throw TicketError.alreadyClosed }
        let config = try providers.config(for: link, db: db)
        let provider = try providers.provider(config)
        // Asking the tracker whether it can close needs a slot; without one, nothing is written (503, retry).
        guard try providers.bulkhead.withSlot(TrackerBulkhead.key(config), { try provider.prepareClose(link) }) != nil
        else { throw APIError.trackerBusy(config) }
        let eventID = UUID().uuidString.lowercased()
        try db.transaction {
            guard let closed = try links.markClosed(org: org, id: link.id) else { throw TicketError.alreadyClosed }
            try OutboxStore(db: db).enqueue(
                link: link, commentID: nil, type: .close, eventID: eventID,
                body: EventPayload.close(
                    eventID: eventID, occurredAt: Timestamp.string(), externalID: link.externalID,
                    orgID: org, evidenceRequestID: request.id, closedAt: closed.closedAt ?? ""))
            try db.query(audit("ticket.close", link: link, detail: ["external_id": .string(link.externalID)]).statement)
        }
        // The first attempt only with a free slot; otherwise the delivery loop sends it.
        _ = try providers.bulkhead.withSlot(TrackerBulkhead.key(config)) {
            try deliverer.deliverNow(eventID: eventID, timeouts: inlineTimeouts)
        }
        // Another request may have unlinked the ticket while the tracker was being told: a clear 409, never a crash.
        guard let current = try links.active(org: org, request: request.id), current.id == link.id else {
            throw TicketError.unlinkedMeanwhile
        }
        return current
    }

    /// Re-queues the link's failed events (and their comments) with a fresh attempt budget and tries the first now.
    /// Returns the link and how many events went back in the queue.
    public func retrySync(org: String, request: EvidenceRequest) throws -> (link: TicketLink, requeued: Int) {
        let link = try activeLink(org: org, request: request.id)
        // An unfinished create is resumed (the tracker asked by its key first).
        if link.isCreating { return (try resumeCreate(org: org, request: request), 0) }
        let requeued = try db.transaction { () throws -> Int in
            try CommentStore(db: db).markRequeued(org: org, linkID: link.id)
            let count = try OutboxStore(db: db).requeueFailed(org: org, linkID: link.id)
            try db.query(audit("ticket.retry", link: link, detail: ["requeued_events": .int(count)]).statement)
            return count
        }
        if requeued > 0 {
            let key = TrackerBulkhead.key(try providers.config(for: link, db: db))
            _ = try providers.bulkhead.withSlot(key) {
                try deliverer.deliverNext(linkID: link.id, timeouts: inlineTimeouts)
            }
        }
        return (try activeLink(org: org, request: request.id), requeued)
    }

    /// Detaches the ticket without closing it; the link is kept as history. Contacts no tracker. Its undelivered
    /// events are cancelled in the same transaction (never sent afterwards), and their comments say so.
    public func unlinkTicket(org: String, request: EvidenceRequest) throws {
        try db.transaction {
            guard let linkID = try links.unlink(org: org, request: request.id) else { throw TicketError.noLink }
            let cancelled = try OutboxStore(db: db).cancelUndelivered(org: org, linkID: linkID)
            if cancelled > 0 { try CommentStore(db: db).markCancelled(org: org, linkID: linkID) }
            var event = AuditEvent(org: org, action: "ticket.unlink", actor: actor)
            event.evidenceRequestID = request.id
            event.linkID = linkID
            event.detail = ["cancelled_events": .int(cancelled)]
            try db.query(event.statement)
        }
    }
}
