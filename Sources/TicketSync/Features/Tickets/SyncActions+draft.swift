import TicketSyncPlatform

/// What a new ticket is made from (`TicketDraft`): the connection's field mapping rendered for the request, and its
/// assignee. Asked inside the create's tracker slot, since finding the requester's account is a tracker call.
extension SyncActions {
    struct PreparedDraft {
        var draft: TicketDraft
        /// Said in the thread once the ticket is linked (the requester has no account in the tracker).
        var note: String?
    }

    /// The request with what its placeholders read besides it (its due date, its org's name).
    func withTicketFacts(_ request: EvidenceRequest) throws -> (request: EvidenceRequest, orgName: String) {
        let facts = try EvidenceRequestStore(db: db).ticketFacts(org: request.orgID, id: request.id)
        var request = request
        request.dueDate = facts.dueDate
        return (request, facts.orgName)
    }

    func prepareDraft(
        _ request: EvidenceRequest, orgName: String, config: TrackerConfig, provider: any TicketProvider
    ) throws -> PreparedDraft {
        let values = FieldValues(
            request: request, url: providers.settings.evidenceRequestURL(request), orgName: orgName,
            userEmail: requester?.email ?? "", userName: requester?.name ?? "")
        var prepared = PreparedDraft(
            draft: TicketDraft(
                request: request, fields: config.fields.rendered(values, dueDateField: config.kind.tracker.dueDateField)
            ),
            note: nil)
        let tracker = config.kind.tracker.displayName
        switch config.assignee {
        case .none: break
        case .account(let id): prepared.draft.assignee = id
        case .creator:
            guard let email = requester?.email, !email.isEmpty else {
                prepared.note = "Nobody signed in asked for this ticket, so it was created unassigned."
                break
            }
            // A tracker that cannot be asked does not stop the ticket: it is made unassigned, and the thread says why.
            do {
                switch try providers.assignees(config).account(
                    email: email, ask: { try provider.account(email: email) })
                {
                case .found(let id): prepared.draft.assignee = id
                case .notFound:
                    prepared.note = "No \(tracker) user has the e-mail \(email), so the ticket was created unassigned."
                }
            } catch let error as TrackerError {
                prepared.note =
                    "\(tracker) could not be asked for the user with the e-mail \(email) (\(error.problem.detail)), "
                    + "so the ticket was created unassigned."
            }
        }
        return prepared
    }

    /// Written with the link: the due date the ticket was made with (what `DueDateWatch` compares against), and the
    /// draft's note as a system entry of the thread, once per link.
    func recordDraft(_ prepared: PreparedDraft, link: TicketLink) throws {
        try db.query(
            "UPDATE ticket_sync.ticket_links SET due_date_sent = $3::date WHERE org_id = $1 AND id = $2",
            [link.orgID.rawValue, link.id.rawValue, prepared.draft.request.dueDate])
        guard let note = prepared.note else { return }
        try db.query(
            """
            INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, external_comment_id)
            VALUES ($1, $2, 'system', 'Ticket Sync', $3, $4)
            ON CONFLICT (evidence_request_id, external_comment_id) DO NOTHING
            """, [link.orgID.rawValue, link.evidenceRequestID.rawValue, note, "assignee-\(link.id.rawValue)"])
    }
}
