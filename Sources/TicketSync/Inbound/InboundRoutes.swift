/// `POST /api/v1/ticket-sync/webhook`: replies and status changes from the deployment default's tracker.
/// Authorized only by the HMAC signature over the raw body, checked before any JSON is decoded.
enum InboundRoutes {
    static func webhook(_ context: RequestContext) throws -> HTTPResponse {
        try InboundSource.generic.verify(context.request, settings: context.settings)
        return try apply(context, scope: .deployment, statusMap: context.settings.statusMap)
    }

    /// Applies a verified generic event to the link of its external id within `scope` (a connection, or the
    /// deployment default); a ticket of another connection answers like a missing one.
    static func apply(_ context: RequestContext, scope: InboundScope, statusMap: StatusMap) throws -> HTTPResponse {
        let event = try InboundEvent.decode(context.parsedBody())

        let db = try context.database()
        guard let link = try TicketLinkStore(db: db).active(externalID: event.externalID, scope: scope) else {
            throw APIError.notFound("No linked ticket has external_id \(event.externalID).")
        }
        // One round trip, one transaction: the reply (de-duplicated on external_comment_id across the thread, our own
        // pushed comments included: a redelivery, or the tracker echoing our comment back, is a duplicate) and the
        // status change.
        var statements: [PGStatement] = []
        // The link may be closed (by a user or the tracker): replies and status still arrive.
        if let incoming = event.comment {
            statements.append(
                CommentStore.externalStatement(
                    org: link.orgID, request: link.evidenceRequestID, author: incoming.author, body: incoming.body,
                    externalCommentID: incoming.externalCommentID, heldBy: nil))
        }
        if let status = event.status {
            statements.append(
                EvidenceRequestStore.statusStatement(org: link.orgID, id: link.evidenceRequestID, status: status))
        }
        let audit = AuditEvent(
            "inbound.applied", link: link, actor: .connection(scope.connectionID),
            detail: [
                "external_id": .string(event.externalID),
                "external_comment_id": .optional(event.comment?.externalCommentID), "status": .optional(event.status),
            ])
        statements.append(audit.statement)
        let results = try db.pipeline(statements)
        let comment = try event.comment.map { _ in try results.at(0).first == nil ? "duplicate" : "created" }
        guard let tracker = event.trackerStatus else {
            return InboundApplied.response(comment: comment, status: event.status)
        }
        // The ticket's own status, in its own transaction after the reply's (a redelivery finds the reply a
        // duplicate and the status stale, so applying them apart loses nothing).
        let sync = TrackerStatusSync(db: db, link: link, actor: .connection(scope.connectionID))
        switch try sync.apply(tracker, map: statusMap) {
        case .applied(let mapped, let linkChange):
            return InboundApplied.response(
                comment: comment, status: mapped ?? event.status, trackerStatus: tracker.name, link: linkChange)
        case .stale:
            return InboundApplied.response(
                comment: comment, status: event.status, ignored: "tracker_status older than the last one applied")
        }
    }
}
