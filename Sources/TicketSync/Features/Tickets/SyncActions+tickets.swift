import Foundation
import TicketSyncPlatform

/// Opening, closing, retrying and unlinking a ticket. Each owns its transaction, its outbox write and its inline
/// delivery; none holds a transaction open across a tracker call.
extension SyncActions {
    /// Opens a ticket in the tracker `connectionID` names (or the org's default, or the deployment default) and links
    /// it: reserve, then create, then complete. The reservation (the one-active-link index) lets one of concurrent
    /// creates call the tracker; the others get 409 without calling it. A reservation left by a create that died, or
    /// whose tracker call ended without a clear answer, is resumed: only then is the tracker asked by the creation
    /// key first (a fresh reservation cannot have a ticket yet).
    public func createTicket(org: OrgID, request: EvidenceRequest, connectionID: ConnectionID?) throws -> TicketLink {
        let config = try providers.configForCreate(org: org.rawValue, requested: connectionID?.rawValue, db: db)
        let provider = try providers.provider(config)
        let reservation: Reservation
        do {
            reservation = try links.reserve(
                org: org, request: request.id, provider: config.kind.rawValue,
                connectionID: config.connectionID.map { ConnectionID($0) },
                leaseSeconds: createLeaseSeconds)
        } catch TicketError.alreadyLinked {
            return try resumeCreate(org: org, request: request)
        }
        return try complete(reservation, request: request, config: config, provider: provider)
    }

    /// Takes over the request's unfinished reservation (create or retry): 409 while another create still holds it.
    func resumeCreate(org: OrgID, request: EvidenceRequest) throws -> TicketLink {
        guard
            let reservation = try links.takeOverReservation(
                org: org, request: request.id, leaseSeconds: createLeaseSeconds)
        else {
            let current = try links.active(org: org, request: request.id)
            throw current?.isCreating == true ? TicketError.beingCreated : TicketError.alreadyLinked
        }
        let config = try providers.config(for: reservation.link, db: db)
        return try complete(reservation, request: request, config: config, provider: try providers.provider(config))
    }

    /// A resumed reservation was left by an earlier create, whose tracker call may have made the ticket: it is never
    /// dropped, whatever this attempt's failure. Every write names the reservation's token: a create that outlived
    /// its lease and was taken over changes nothing.
    private func complete(
        _ reservation: Reservation, request: EvidenceRequest, config: TrackerConfig, provider: any TicketProvider
    ) throws -> TicketLink {
        let resumed = reservation.isResumed
        let (request, orgName) = try withTicketFacts(request)
        let ticket: CreatedTicket
        let prepared: PreparedDraft
        do {
            guard
                let made = try providers.bulkhead.withSlot(
                    TrackerBulkhead.key(config),
                    {
                        let prepared = try prepareDraft(request, orgName: orgName, config: config, provider: provider)
                        return (try makeTicket(reservation, draft: prepared.draft, provider: provider), prepared)
                    })
            else {
                if resumed {
                    try links.failReservation(reservation, reason: "the tracker was busy")
                } else {
                    try links.dropReservation(reservation)  // the tracker was not asked
                }
                throw APIError.trackerBusy(config)
            }
            (ticket, prepared) = made
        } catch let error as TrackerError {
            if case .fieldsRefused = error.reason {
                // Refused as drawn up, after any look-up by key found nothing: no ticket exists, so the reservation
                // goes and a create with the mapping fixed starts at once.
                try links.dropReservation(reservation)
            } else if resumed || error.outcomeUnknown {
                // The tracker may have made it: keep the reservation (shown as error) so a retry looks it up by key.
                try links.failReservation(reservation, reason: error.problem.detail)
            } else {
                try links.dropReservation(reservation)  // refused: nothing was made
            }
            throw error
        }
        FailPoint.hit("after-tracker-create")
        // The link and its audit row in one transaction.
        let linked = try db.transaction { () throws -> TicketLink? in
            guard let linked = try links.complete(reservation, ticket: ticket) else { return nil }
            try recordDraft(prepared, link: linked)
            try db.query(
                audit(
                    "ticket.create", link: linked,
                    detail: ["external_id": linked.externalID.json, "provider": .string(linked.provider)]
                ).statement)
            return linked
        }
        return try linked ?? superseded(reservation, made: ticket)
    }

    /// Inside the tracker slot. A resumed create first lets the tracker's search catch up with the earlier attempt
    /// (503 with Retry-After, the reservation given back meanwhile), then records its own attempt.
    private func makeTicket(_ reservation: Reservation, draft: TicketDraft, provider: any TicketProvider) throws
        -> CreatedTicket
    {
        if let since = reservation.sinceTrackerAttempt {
            if let wait = try provider.resumeDelay(sinceAttempt: since) {
                try links.releaseReservation(reservation)
                throw APIError.createSettling(seconds: wait)
            }
            guard try links.markTrackerAttempt(reservation) else { throw TicketError.beingCreated }
        }
        let text = CreationKey(linkID: reservation.link.id).text
        let minted = try provider.mintedSequence.map { try CreationKey.mint(text, from: $0, db: db) }
        return try provider.createTicket(
            draft,
            key: CreationKey(linkID: reservation.link.id, resumed: reservation.isResumed, mintedNumber: minted)
        )
    }

    /// This create lost its reservation while the tracker answered (its lease ran out and another create took it
    /// over, or the request was unlinked): the link as it stands when it holds the same ticket, 409 otherwise.
    private func superseded(_ reservation: Reservation, made ticket: CreatedTicket) throws -> TicketLink {
        let current = try links.active(org: reservation.link.orgID, request: reservation.link.evidenceRequestID)
        if let current, current.id == reservation.link.id, !current.isCreating,
            current.externalID == ticket.externalID
        {
            return current
        }
        if let current, current.id == reservation.link.id, current.isCreating { throw TicketError.beingCreated }
        let linkedNow = current?.isCreating == false ? current?.externalID : nil
        throw TicketError.createSuperseded(made: ticket.externalID.rawValue, linked: linkedNow?.rawValue)
    }

    /// An audit row about a link of this org.
    func audit(_ action: String, link: TicketLink, detail: [String: JSONValue] = [:]) -> AuditEvent {
        AuditEvent(action, link: link, actor: actor, detail: detail)
    }

    /// Marks the link closed and queues `ticket.close` in one transaction, then delivers it at once. A tracker that
    /// can never close the ticket (no Jira transition to done) refuses before anything is marked.
    public func closeTicket(org: OrgID, request: EvidenceRequest) throws -> TicketLink {
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
                    eventID: eventID, occurredAt: Timestamp.string(), externalID: link.externalID.rawValue,
                    orgID: org.rawValue, evidenceRequestID: request.id.rawValue, closedAt: closed.closedAt ?? ""))
            try db.query(audit("ticket.close", link: link, detail: ["external_id": link.externalID.json]).statement)
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
    public func retrySync(org: OrgID, request: EvidenceRequest) throws -> (link: TicketLink, requeued: Int) {
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
                try deliverer.deliverNext(linkID: link.id.rawValue, timeouts: inlineTimeouts)
            }
        }
        return (try activeLink(org: org, request: request.id), requeued)
    }

    /// Detaches the ticket without closing it; the link is kept as history. Contacts no tracker. Its undelivered
    /// events are cancelled in the same transaction (never sent afterwards), and their comments say so.
    public func unlinkTicket(org: OrgID, request: EvidenceRequest) throws {
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

extension APIError {
    static let createSettlingSlug = "ticket-create-settling"

    /// A resumed create on a tracker whose search lags: the earlier attempt's ticket may not be findable yet.
    static func createSettling(seconds: Int) -> APIError {
        APIError(
            503, createSettlingSlug,
            "An earlier attempt to create this ticket started moments ago and the tracker's search may not show its "
                + "ticket yet; retry after \(seconds) s to finish creating it (no second ticket is made).",
            title: "Ticket creation settling", headers: [("Retry-After", String(seconds))])
    }
}
