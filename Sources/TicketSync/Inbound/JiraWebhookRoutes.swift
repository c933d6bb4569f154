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

        let outcome = try db.transaction { () throws -> String in
            if let deliveryID,
                try !InboundDeliveryStore(db: db).recordFirst(
                    source: "jira", deliveryID: deliveryID, connectionID: scope.connectionID)
            {
                return "duplicate"
            }
            if ours { return "skipped" }
            let created = try CommentStore(db: db).insertExternal(
                org: link.orgID, request: link.evidenceRequestID, author: event.authorName, body: event.body,
                externalCommentID: event.commentID)
            return created == nil ? "duplicate" : "created"
        }
        return InboundApplied.response(comment: outcome)
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
