import Foundation
import TicketSyncPlatform

/// Notices due dates the host changed (its `evidence_requests.due_date`, an optional column of the contract) and
/// queues each change as a `ticket.update` event, so it reaches the ticket through the outbox, after the link's
/// earlier events and exactly once. The host writes its table directly, so there is nothing to hook: a delivery loop
/// with nothing else to do compares the column with what each open ticket last carried (`ticket_links.due_date_sent`)
/// every TICKET_SYNC_DUE_DATE_INTERVAL. Recording the new date and queueing its event happen in one transaction,
/// under the link's row lock; one pass runs at a time across all processes (a transaction-level advisory lock).
struct DueDateWatch {
    let db: PGConnection
    /// Links updated per pass; a pass that fills it runs again on the next idle turn.
    static let batch = 200

    /// One pass; returns how many updates it queued.
    func run() throws -> Int {
        guard try EvidenceRequestStore(db: db).hasDueDate() else { return 0 }
        return try db.transaction { () throws -> Int in
            let turn = try db.query("SELECT pg_try_advisory_xact_lock(hashtext('ticketsync.due_date_watch')) AS mine")
            guard try turn.single("advisory lock").bool("mine") else { return 0 }
            let changed = try db.query(
                """
                SELECT \(TicketLinkStore.columns), r.due_date::date::text AS new_due_date
                FROM ticket_sync.ticket_links l
                JOIN {host}.evidence_requests r ON r.org_id = l.org_id AND r.id = l.evidence_request_id
                WHERE l.unlinked_at IS NULL AND l.closed_at IS NULL AND l.state = 'linked'
                  AND r.due_date::date IS DISTINCT FROM l.due_date_sent
                ORDER BY l.id LIMIT $1
                FOR UPDATE OF l SKIP LOCKED
                """, [String(Self.batch)])
            let outbox = OutboxStore(db: db)
            for row in changed.all {
                let link = try TicketLinkStore.decode(row)
                let due = row["new_due_date"]
                let eventID = UUID().uuidString.lowercased()
                try db.query(
                    "UPDATE ticket_sync.ticket_links SET due_date_sent = $3::date WHERE org_id = $1 AND id = $2",
                    [link.orgID.rawValue, link.id.rawValue, due])
                try outbox.enqueue(
                    link: link, commentID: nil, type: .update, eventID: eventID,
                    body: EventPayload.update(
                        eventID: eventID, occurredAt: Timestamp.string(), externalID: link.externalID.rawValue,
                        orgID: link.orgID.rawValue, evidenceRequestID: link.evidenceRequestID.rawValue, dueDate: due))
            }
            return changed.count
        }
    }
}
