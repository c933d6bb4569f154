import TicketSyncPlatform

/// `POST /api/v1/ticket-sync/webhook`: replies and status changes from the deployment default's tracker.
/// Authorized only by the signature (X-Signature or Standard Webhooks) over the raw body, checked before any JSON is
/// decoded.
enum InboundRoutes {
    static func webhook(_ context: RequestContext) throws -> HTTPResponse {
        let policy = context.settings.inboundSignature
        switch policy.verify(context.request, secrets: context.settings.webhookSecrets) {
        case .success(let verified):
            return try apply(context, scope: .deployment, statusMap: context.settings.statusMap, verified: verified)
        case .failure(let rejection):
            ServerLog.warning("generic inbound webhook rejected: \(rejection.reason)")
            throw APIError.badSignature
        }
    }

    /// Applies a verified generic event to the link of its external id within `scope` (a connection, or the
    /// deployment default); a ticket of another connection answers like a missing one. A Standard Webhooks
    /// `webhook-id` is applied once per scope: seen again, the event answers 200 with nothing applied.
    static func apply(
        _ context: RequestContext, scope: InboundScope, statusMap: StatusMap, verified: InboundSignaturePolicy.Verified
    ) throws -> HTTPResponse {
        let event = try InboundEvent.decode(context.parsedBody())

        let db = try context.database()
        let links = TicketLinkStore(db: db)
        // A status the event asks for is measured against the request's status, read with the link under a row lock
        // in the transaction the writes then commit in.
        let linked: (link: TicketLink, status: EvidenceRequest.Status?)?
        if event.status != nil && event.trackerStatus == nil {
            linked = try links.activeLockingStatus(externalID: ExternalTicketID(event.externalID), scope: scope).map {
                ($0.link, $0.status)
            }
        } else {
            linked = try links.active(externalID: ExternalTicketID(event.externalID), scope: scope).map { ($0, nil) }
        }
        guard let (link, current) = linked else {
            throw APIError.notFound("No linked ticket has external_id \(event.externalID).")
        }
        // The webhook-id is recorded in that transaction when there is one (applied together, or not at all);
        // otherwise on its own, and forgotten if the event then fails, so the sender's retry gets through.
        let inTransaction = current != nil
        let seen = InboundDeliveryStore(db: db)
        var recorded: String?
        do {
            if case .standard(let id) = verified {
                guard
                    try seen.recordFirstPruning(
                        source: deliverySource, deliveryID: id, connectionID: scope.connectionID?.rawValue)
                else {
                    if inTransaction { _ = try db.execute("ROLLBACK") }
                    var response = InboundApplied.response(
                        ignored: "duplicate webhook-id: this event was already received")
                    response.inboundOutcome = .duplicate
                    return response
                }
                recorded = id
            }
            return try apply(event, link: link, current: current, scope: scope, statusMap: statusMap, db: db)
        } catch {
            if inTransaction {
                _ = try? db.execute("ROLLBACK")
            } else if let recorded {
                try? seen.forget(
                    source: deliverySource, deliveryID: recorded, connectionID: scope.connectionID?.rawValue)
            }
            throw error
        }
    }

    /// Where a Standard Webhooks `webhook-id` is remembered among the inbound delivery ids.
    static let deliverySource = "webhook-id"

    private static func apply(
        _ event: InboundEvent, link: TicketLink, current: EvidenceRequest.Status?, scope: InboundScope,
        statusMap: StatusMap,
        db: PGConnection
    ) throws -> HTTPResponse {
        // One transaction: the reply (de-duplicated on external_comment_id across the thread, our own pushed comments
        // included: a redelivery, or the tracker echoing our comment back, is a duplicate) and, without a
        // tracker_status, the requested status through the status map, measured against `current`, the request's
        // status read under a row lock in the transaction already open (committed here).
        let requested = current.flatMap { current in event.status.map { statusMap.requested($0, current: current) } }
        var statements: [PGStatement] = []
        // The link may be closed (by a user or the tracker): replies and status still arrive.
        if let incoming = event.comment {
            statements.append(
                CommentStore.externalStatement(
                    org: link.orgID, request: link.evidenceRequestID, author: incoming.author,
                    body: incoming.body,
                    externalCommentID: incoming.externalCommentID, heldBy: nil))
        }
        var applied: String?
        if case .set(let target)? = requested, let status = EvidenceRequest.Status(rawValue: target) {
            applied = target
            statements.append(
                EvidenceRequestStore.statusStatement(org: link.orgID, id: link.evidenceRequestID, status: status))
        }
        let audit = AuditEvent(
            "inbound.applied", link: link, actor: .connection(scope.connectionID),
            detail: [
                "external_id": .string(event.externalID),
                "external_comment_id": .optional(event.comment?.externalCommentID), "status": .optional(applied),
            ])
        statements.append(audit.statement)
        if current != nil { statements.append(PGStatement("COMMIT")) }
        let results = try db.pipeline(statements)
        let comment = try event.comment.map { _ in try results.at(0).first == nil ? "duplicate" : "created" }
        guard let tracker = event.trackerStatus else {
            switch requested {
            case .set(let status)?, .unchanged(let status?)?:
                return InboundApplied.response(comment: comment, status: status)
            case .ignored(let reason)?:
                return InboundApplied.response(comment: comment, ignored: reason)
            case .unchanged(nil)?, nil:
                return InboundApplied.response(comment: comment)
            }
        }
        // The ticket's own status, in its own transaction after the reply's (a redelivery finds the reply a
        // duplicate and the status stale, so applying them apart loses nothing). A `status` sent with it goes
        // through the map with it, and is stale with it.
        let sync = TrackerStatusSync(db: db, link: link, actor: .connection(scope.connectionID))
        switch try sync.apply(tracker, map: statusMap, requested: event.status) {
        case .applied(let mapped, let linkChange):
            return InboundApplied.response(
                comment: comment, status: mapped, trackerStatus: tracker.name, link: linkChange)
        case .stale:
            return InboundApplied.response(
                comment: comment, ignored: "tracker_status older than the last one applied")
        }
    }
}
