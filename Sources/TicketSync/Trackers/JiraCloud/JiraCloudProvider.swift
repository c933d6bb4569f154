import TicketSyncPlatform

/// The Jira provider on a Jira Cloud site through OAuth: everything as `jira` does it (exactly-once create, comments
/// with their `ticketsync` property, close by transition, the sweep), plus the sweep's upkeep of the connection's own
/// webhooks.
struct JiraCloudProvider: TicketProvider {
    let jira: JiraProvider
    let connectionID: String
    /// The connection's inbound URL (sealed, since it carries its token): where webhooks are registered again.
    let inboundURL: String?

    var kind: ProviderKind { jira.kind }

    func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket {
        try jira.createTicket(draft, key: key)
    }

    func account(email: String) throws -> AccountLookup { try jira.account(email: email) }

    func resumeDelay(sinceAttempt: Double) throws -> Int? { try jira.resumeDelay(sinceAttempt: sinceAttempt) }

    func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        jira.deliver(event, timeouts: timeouts)
    }

    func prepareClose(_ link: TicketLink) throws { try jira.prepareClose(link) }

    func checkConnection() -> [ConnectionCheck.Step] { jira.checkConnection() }

    func requiredFields() -> RequiredFieldsRead? { jira.requiredFields() }

    /// Jira's sweep. Each sweep (and each "Re-sync now") asks for it first, so this is where the connection's webhooks
    /// are kept alive, in the sweeping loop's database session, whether or not the connection has links yet. Best
    /// effort: a failure is logged and the sweep goes on (the next one tries again).
    func sweeper(reading db: PGConnection) -> (any TicketSweeper)? {
        do { try maintainWebhooks(db: db) } catch {
            ServerLog.warning("connection \(connectionID): Jira Cloud webhook upkeep failed: \(error)")
        }
        return JiraSweeper(jira: jira)
    }

    /// Refreshes the registrations when fewer than 10 days remain; registers them again when they expired or
    /// Atlassian no longer knows them (a refresh answers 400/404), or when none is stored.
    func maintainWebhooks(db: PGConnection) throws {
        let store = JiraCloudWebhookStore(db: db)
        let hooks = JiraCloudWebhooks(jira: jira)
        let registered = try store.find(connection: connectionID)
        if let registered, registered.secondsLeft > JiraCloudWebhooks.refreshBelowSeconds { return }
        if let registered, registered.secondsLeft > 0, !registered.ids.isEmpty, try hooks.refresh(registered.ids) {
            try store.save(connection: connectionID, ids: registered.ids)
            return
        }
        guard let inboundURL else { return }
        let ids = try hooks.register(url: inboundURL)
        try store.save(connection: connectionID, ids: ids)
    }
}

extension JiraCloudTracker {
    /// Deletes the webhooks the connection registered (`DELETE /rest/api/3/webhook`) and forgets them. A connection
    /// whose delete is then refused (links still use it) gets them again at its next sweep.
    static func closing(_ context: RequestContext, connection: Connection) {
        do {
            let db = try context.database()
            let store = JiraCloudWebhookStore(db: db)
            guard let registered = try store.find(connection: connection.id.rawValue) else { return }
            guard
                let provider = try context.providers.provider(context.providers.config(connection))
                    as? JiraCloudProvider
            else { return }
            try JiraCloudWebhooks(jira: provider.jira).delete(registered.ids)
            try store.remove(connection: connection.id.rawValue)
        } catch {
            ServerLog.warning("connection \(connection.id): its Jira Cloud webhooks were not deleted: \(error)")
        }
    }
}
