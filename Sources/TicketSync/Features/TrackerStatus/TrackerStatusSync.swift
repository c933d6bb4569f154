import TicketSyncPlatform

/// Applies a tracker's status change or deletion to a link, in one transaction: the link (closed by the tracker on
/// a move into done, reopened on a move out of it, never a `ticket.close` sent back), the evidence request's mapped
/// status, a system entry in the thread, and the audit row. A status event older than the last one applied to the
/// link is ignored, so redeliveries and late deliveries cannot roll it back (one of the same time applies only when
/// it names another status: ServiceNow's times have whole seconds).
struct TrackerStatusSync {
    let db: PGConnection
    let link: TicketLink
    let actor: AuditActor
    /// A webhook's event, or a change a sweep found the webhook missed (its audit row is the drift ledger's).
    var origin: Origin = .webhook

    enum Origin: Equatable {
        case webhook
        /// Found by a scheduled sweep (`sweep`) or by "Re-sync now" (`resync`), from the tracker's state at `time`.
        case drift(foundBy: String, time: Int64?)

        /// The audit row: `inbound.applied`, or `sync.drift_repaired` naming what was repaired and how it was found.
        func audit(_ link: TicketLink, actor: AuditActor, what: String, detail: [String: JSONValue]) -> AuditEvent {
            guard case .drift(let foundBy, let time) = self else {
                return AuditEvent("inbound.applied", link: link, actor: actor, detail: detail)
            }
            var detail = detail
            detail["what"] = .string(what)
            detail["found_by"] = .string(foundBy)
            detail["tracker_time"] = .optional(time.map(TrackerTime.iso8601))
            return AuditEvent("sync.drift_repaired", link: link, actor: actor, detail: detail)
        }
    }

    enum Outcome: Equatable {
        /// Applied; the evidence request's new status, when it changed, and `closed` or `reopened` when the link was.
        case applied(status: String?, link: String?)
        /// Older than (or as old as) the last status applied: nothing changed.
        case stale
    }

    /// "Jira", "ServiceNow", or "the tracker" for webhook adapters.
    static func trackerName(_ provider: String) -> String {
        ProviderKind(rawValue: provider)?.tracker.displayName ?? "the tracker"
    }

    /// `requested`: a generic webhook's `status` sent with the change, used (through the map) when the change itself
    /// maps to nothing; it is ordered with the change, so it is ignored with a stale one.
    func apply(_ change: TrackerStatusChange, map: StatusMap, requested: String? = nil) throws -> Outcome {
        try db.transaction {
            // Locks the link, if this event is newer than its last status; reads what the change is measured against.
            guard
                let row = try db.query(
                    """
                    SELECT l.closed_at IS NOT NULL AS closed, e.status AS request_status, l.tracker_status,
                        l.tracker_status_category
                    FROM ticket_sync.ticket_links l
                    JOIN {host}.evidence_requests e ON e.org_id = l.org_id AND e.id = l.evidence_request_id
                    WHERE l.org_id = $1 AND l.id = $2 AND l.unlinked_at IS NULL AND l.state = 'linked'
                      AND (l.tracker_status_at IS NULL OR l.tracker_status_at < to_timestamp($3::bigint / 1000.0)
                           -- ServiceNow's times are whole seconds: another status in the same second still applies.
                           OR (l.tracker_status_at = to_timestamp($3::bigint / 1000.0)
                               AND l.tracker_status IS DISTINCT FROM $4))
                    FOR NO KEY UPDATE OF l
                    """, [link.orgID.rawValue, link.id.rawValue, String(change.milliseconds), change.name]
                ).first
            else { return .stale }
            let wasClosed = row.bool("closed")
            let closes = change.category == .done && !wasClosed
            let reopens = change.category != .done && wasClosed
            // The status the link already has, reported again with a later time (a sweep read it first, then the
            // webhook came): nothing changed. Only its time moves on, so that older events stay stale.
            if row["tracker_status"] == change.name && row["tracker_status_category"] == change.category.rawValue
                && !closes && !reopens
            {
                _ = try db.query(
                    """
                    UPDATE ticket_sync.ticket_links SET tracker_status_at = to_timestamp($3::bigint / 1000.0)
                    WHERE org_id = $1 AND id = $2
                    """, [link.orgID.rawValue, link.id.rawValue, String(change.milliseconds)])
                return .stale
            }
            // The tracker status's own entry wins, `keep` too; a generic webhook's `status` only fills in for none.
            let mapped =
                map.entry(for: change).map { $0 == StatusMap.keep ? nil : $0 }
                ?? requested.flatMap(map.status(forRequested:))
            let target = Self.target(
                mapped, current: try row.parsed("request_status", EvidenceRequest.Status.init(rawValue:)))
            let tracker = Self.trackerName(link.provider)
            var entry = change.summary(tracker: tracker, reopens: reopens)
            if let target { entry += "; evidence request set to \(target.rawValue)" }

            var statements = [
                PGStatement(
                    """
                    UPDATE ticket_sync.ticket_links SET tracker_status = $3, tracker_status_category = $4,
                        tracker_status_at = to_timestamp($5::bigint / 1000.0),
                        closed_at = CASE WHEN $6 THEN clock_timestamp() WHEN $7 THEN NULL ELSE closed_at END,
                        closed_by = CASE WHEN $6 THEN 'tracker' WHEN $7 THEN NULL ELSE closed_by END,
                        updated_at = clock_timestamp()
                    WHERE org_id = $1 AND id = $2
                    """,
                    [
                        link.orgID.rawValue, link.id.rawValue, change.name, change.category.rawValue,
                        String(change.milliseconds),
                        closes ? "true" : "false", reopens ? "true" : "false",
                    ]),
                systemEntry(
                    author: change.actor ?? tracker, body: entry,
                    key: "tracker-status:\(change.milliseconds):\(change.name)"),
            ]
            if let target {
                statements.append(
                    EvidenceRequestStore.statusStatement(org: link.orgID, id: link.evidenceRequestID, status: target))
            }
            var detail: [String: JSONValue] = [
                "external_id": link.externalID.json, "tracker_status": .string(change.name),
                "tracker_status_category": .string(change.category.rawValue), "status": .optional(target?.rawValue),
            ]
            if closes { detail["link"] = .string("closed") }
            if reopens { detail["link"] = .string("reopened") }
            let what = closes ? "closed" : "status"
            statements.append(origin.audit(link, actor: actor, what: what, detail: detail).statement)
            _ = try db.pipeline(statements)
            return .applied(status: target?.rawValue, link: closes ? "closed" : reopens ? "reopened" : nil)
        }
    }

    /// The ticket is gone from the tracker: the link shows `sync_state: error` with the reason, and stays (with its
    /// thread) until someone unlinks it. False when it was already marked.
    func deleted(by actorName: String?) throws -> Bool {
        let tracker = Self.trackerName(link.provider)
        let reason = "Deleted in \(tracker)" + (actorName.map { " by \($0)" } ?? "")
        return try db.transaction {
            let marked = try db.query(
                """
                UPDATE ticket_sync.ticket_links SET tracker_error = $3, updated_at = clock_timestamp()
                WHERE org_id = $1 AND id = $2 AND unlinked_at IS NULL AND tracker_error IS NULL
                """, [link.orgID.rawValue, link.id.rawValue, reason]
            ).affected
            guard marked == 1 else { return false }
            _ = try db.pipeline([
                systemEntry(author: actorName ?? tracker, body: reason, key: "tracker-deleted"),
                origin.audit(
                    link, actor: actor, what: "deleted",
                    detail: ["external_id": link.externalID.json, "link": .string("deleted")]
                ).statement,
            ])
            return true
        }
    }

    /// The mapped status, unless the request already has it, or an auditor's decision (accepted, rejected) would
    /// be overwritten by anything but another decision the mapping names.
    static func target(_ mapped: String?, current: EvidenceRequest.Status) -> EvidenceRequest.Status? {
        guard let mapped = mapped.flatMap(EvidenceRequest.Status.init(rawValue:)), mapped != current else { return nil }
        let decisions: [EvidenceRequest.Status] = [.accepted, .rejected]
        if decisions.contains(current) && !decisions.contains(mapped) { return nil }
        return mapped
    }

    /// A thread entry written by the system (never pushed to the tracker); `key` makes it once per event.
    private func systemEntry(author: String, body: String, key: String) -> PGStatement {
        PGStatement(
            """
            INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, external_comment_id)
            VALUES ($1, $2, 'system', $3, $4, $5)
            ON CONFLICT (evidence_request_id, external_comment_id) DO NOTHING
            """, [link.orgID.rawValue, link.evidenceRequestID.rawValue, String(author.prefix(255)), body, key])
    }
}
