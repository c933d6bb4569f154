import TicketSyncPlatform

/// What every ticket and comment use case works with: the worker's connection, the providers, and the delivery
/// settings for the first, inline attempt.
public struct SyncActions {
    let db: PGConnection
    let providers: ProviderRegistry
    let policy: DeliveryPolicy
    let inlineTimeouts: HTTPTimeouts
    /// How long a create holds its reservation: two tracker calls (the look-up and the create) and a margin.
    let createLeaseSeconds: Int
    /// Who the audit trail names for these actions.
    var actor = AuditActor.system
    /// Who asks (a signed-in user): their e-mail and name fill `{{user.email}}`/`{{user.name}}` and find the
    /// assignee for `settings.assignee = creator`.
    var requester: (email: String, name: String)? = nil

    public init(
        db: PGConnection, providers: ProviderRegistry, policy: DeliveryPolicy, inlineTimeouts: HTTPTimeouts,
        createLeaseSeconds: Int = 30
    ) {
        self.db = db
        self.providers = providers
        self.policy = policy
        self.inlineTimeouts = inlineTimeouts
        self.createLeaseSeconds = createLeaseSeconds
    }

    var links: TicketLinkStore { TicketLinkStore(db: db) }
    var deliverer: Deliverer { Deliverer(db: db, providers: providers, policy: policy) }

    /// The request's active link; `TicketError.noLink` when it has none.
    func activeLink(org: OrgID, request: EvidenceRequestID) throws -> TicketLink {
        guard let link = try links.active(org: org, request: request) else { throw TicketError.noLink }
        return link
    }
}
