/// `POST /api/v1/ticket-sync/webhook/jira`: Jira's own webhooks, verified with `X-Hub-Signature` and
/// JIRA_WEBHOOK_SECRET before the body is decoded. Only `comment_created` is imported; other events answer 200.
enum JiraWebhookRoutes {
    static func webhook(_ context: RequestContext) throws -> HTTPResponse {
        try InboundSource.jira.verify(context.request, settings: context.settings)
        return try apply(context, scope: .deployment, jira: { try? context.providers.provider(.jira) as? JiraProvider })
    }

    /// Applies a verified Jira event to the links of `scope`; `jira` builds that tracker's provider (for its account).
    static func apply(_ context: RequestContext, scope: InboundScope, jira: () -> JiraProvider?) throws -> HTTPResponse
    {
        guard let event = try JiraCommentCreated.decode(context.parsedBody()) else {
            return InboundApplied.response()
        }
        let db = try context.database()
        guard let link = try resolve(event, scope: scope, db: db) else {
            // A global Jira webhook also reports issues nobody linked: acknowledge, so Jira does not retry.
            return InboundApplied.response(ignored: "no linked ticket")
        }
        // Comments written by the integration account are ours (pushed before their id was stamped, or by hand).
        let ours = jira()?.identity()?.matches(event.author) ?? false
        let deliveryID = context.request.header("x-atlassian-webhook-identifier")

        let outcome = try record(event, link: link, ours: ours, deliveryID: deliveryID, scope: scope, db: db)
        return InboundApplied.response(comment: outcome)
    }

    /// One statement: the delivery id (a redelivery changes nothing) and, unless the comment is ours, the comment
    /// (de-duplicated on its Jira id across the thread).
    private static func record(
        _ event: JiraCommentCreated, link: TicketLink, ours: Bool, deliveryID: String?, scope: InboundScope,
        db: PGConnection
    ) throws -> String {
        let deliveries = InboundDeliveryStore(db: db)
        if ours {
            guard let deliveryID else { return "skipped" }
            let first = try deliveries.recordFirst(
                source: "jira", deliveryID: deliveryID, connectionID: scope.connectionID)
            return first ? "skipped" : "duplicate"
        }
        let condition =
            deliveryID.map {
                InboundDeliveryStore.firstSeen(
                    source: "jira", deliveryID: $0, connectionID: scope.connectionID, firstParameter: 6)
            } ?? .always
        let audit = AuditEvent(
            "inbound.applied", link: link, actor: .connection(scope.connectionID),
            detail: ["external_id": .string(link.externalID), "external_comment_id": .string(event.commentID)])
        let rows = try db.pipeline([
            CommentStore.externalStatement(
                org: link.orgID, request: link.evidenceRequestID, author: event.authorName, body: event.body,
                externalCommentID: event.commentID, onlyIf: condition),
            audit.statement,
        ])
        return try rows.at(0).first == nil ? "duplicate" : "created"
    }

    /// By issue key, else by the numeric issue id; only links made with the Jira provider, within `scope`.
    static func resolve(_ event: JiraCommentCreated, scope: InboundScope, db: PGConnection) throws -> TicketLink? {
        let links = TicketLinkStore(db: db)
        if let key = event.issueKey, let link = try links.active(externalID: key, scope: scope),
            link.provider == ProviderKind.jira.rawValue
        {
            return link
        }
        if let id = event.issueID {
            return try links.active(provider: ProviderKind.jira.rawValue, externalRef: id, scope: scope)
        }
        return nil
    }
}
