import Foundation
import TicketSyncPlatform

/// Applies a verified Linear webhook on a connection's inbound URL: a comment created on a linked issue becomes an
/// external comment (our own, recognised by the id we chose for it, is skipped), an issue moved to another state is
/// its tracker status (ordered by the issue's `updatedAt`). Each `Linear-Delivery` is applied once; events on issues
/// nobody linked, and other events, answer 200 with nothing applied (Linear retries only failures).
enum LinearWebhookRoutes {
    static let deliverySource = "linear"

    static func apply(_ context: RequestContext, scope: InboundScope, statusMap: StatusMap) throws -> HTTPResponse {
        let event = LinearWebhook.decode(try context.parsedBody())
        let issueID: String
        switch event {
        case .other: return InboundApplied.response(ignored: "not a comment or a state change")
        case .comment(let issue, _, _, _), .status(let issue, _, _): issueID = issue
        }
        let db = try context.database()
        guard
            let link = try TicketLinkStore(db: db).active(
                provider: ProviderKind.linear.rawValue, externalRef: issueID, scope: scope)
        else { return InboundApplied.response(ignored: "no linked ticket") }

        // The delivery id is recorded first and forgotten if the event then fails, so Linear's retry gets through.
        let deliveries = InboundDeliveryStore(db: db)
        let deliveryID = context.request.header(LinearWebhook.deliveryHeader).map { String($0.prefix(200)) }
        if let deliveryID {
            guard
                try deliveries.recordFirst(
                    source: deliverySource, deliveryID: deliveryID, connectionID: scope.connectionID?.rawValue)
            else {
                var response = InboundApplied.response(ignored: "duplicate Linear-Delivery: already received")
                response.inboundOutcome = .duplicate
                return response
            }
        }
        do {
            return try apply(event, link: link, scope: scope, statusMap: statusMap, db: db)
        } catch {
            if let deliveryID {
                try? deliveries.forget(
                    source: deliverySource, deliveryID: deliveryID, connectionID: scope.connectionID?.rawValue)
            }
            throw error
        }
    }

    private static func apply(
        _ event: LinearWebhook.Event, link: TicketLink, scope: InboundScope, statusMap: StatusMap, db: PGConnection
    ) throws -> HTTPResponse {
        switch event {
        case .other: return InboundApplied.response()
        case .comment(_, let commentID, let author, let body):
            if try ours(commentID: commentID, link: link, db: db) { return InboundApplied.response(comment: "skipped") }
            let audit = AuditEvent(
                "inbound.applied", link: link, actor: .connection(scope.connectionID),
                detail: ["external_id": link.externalID.json, "external_comment_id": .string(commentID)])
            let rows = try db.pipeline([
                CommentStore.externalStatement(
                    org: link.orgID, request: link.evidenceRequestID, author: author, body: body,
                    externalCommentID: commentID, onlyIf: .always),
                audit.statement,
            ])
            return InboundApplied.response(comment: try rows.at(0).first == nil ? "duplicate" : "created")
        case .status(_, _, let change):
            let sync = TrackerStatusSync(db: db, link: link, actor: .connection(scope.connectionID))
            switch try sync.apply(change, map: statusMap) {
            case .applied(let status, let linkChange):
                return InboundApplied.response(status: status, trackerStatus: change.name, link: linkChange)
            case .stale:
                return InboundApplied.response(ignored: "older than the last status applied")
            }
        }
    }

    /// A comment Ticket Sync pushed to this issue carries the id derived from its outbox event: it is recognised
    /// even when the webhook arrives before the push's answer was recorded.
    static func ours(commentID: String, link: TicketLink, db: PGConnection) throws -> Bool {
        let rows = try db.query(
            """
            SELECT event_id::text AS event_id FROM ticket_sync.outbox
            WHERE org_id = $1 AND link_id = $2 AND event_type = 'ticket.comment'
            """, [link.orgID.rawValue, link.id.rawValue])
        let wanted = commentID.lowercased()
        return rows.all.contains { LinearID.comment(eventID: $0.string("event_id")) == wanted }
    }
}
