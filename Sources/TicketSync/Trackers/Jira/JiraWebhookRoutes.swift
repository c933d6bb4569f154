import TicketSyncPlatform

/// `POST /api/v1/ticket-sync/webhook/jira`: Jira's own webhooks, verified with `X-Hub-Signature` and
/// JIRA_WEBHOOK_SECRET before the body is decoded. Comments (`comment_created`, or `jira:issue_updated` carrying
/// one), status changes (`jira:issue_updated`) and deleted issues (`jira:issue_deleted`) are applied; other events
/// answer 200 with nothing applied.
enum JiraWebhookRoutes {
    static func webhook(_ context: RequestContext) throws -> HTTPResponse {
        try InboundSource.jira.verify(context.request, settings: context.settings)
        return try apply(
            context, scope: .deployment, statusMap: context.settings.statusMap,
            jira: { try? context.providers.provider(.jira) as? JiraProvider })
    }

    /// Applies a verified Jira event to the links of `scope`; `jira` builds that tracker's provider (for its account).
    static func apply(
        _ context: RequestContext, scope: InboundScope, statusMap: StatusMap, provider: ProviderKind = .jira,
        jira: () -> JiraProvider?
    ) throws -> HTTPResponse {
        let event = try JiraWebhook.decode(context.parsedBody())
        let issue: JiraWebhook.Issue
        switch event {
        case .other: return InboundApplied.response()
        case .commentCreated(let comment): issue = JiraWebhook.Issue(key: comment.issueKey, id: comment.issueID)
        case .issueUpdated(let updated, _, _), .issueDeleted(let updated, _): issue = updated
        }
        let db = try context.database()
        guard let link = try resolve(issue, scope: scope, provider: provider, db: db) else {
            // A global Jira webhook also reports issues nobody linked: acknowledge, so Jira does not retry.
            return InboundApplied.response(ignored: "no linked ticket")
        }
        let sync = TrackerStatusSync(db: db, link: link, actor: .connection(scope.connectionID))
        switch event {
        case .other: return InboundApplied.response()
        case .commentCreated(let comment):
            return InboundApplied.response(comment: try importComment(comment, context, link, scope, jira: jira))
        case .issueUpdated(_, let comment, let status):
            let imported = try comment.map { try importComment($0, context, link, scope, jira: jira) }
            guard let status else { return InboundApplied.response(comment: imported) }
            switch try sync.apply(status, map: statusMap) {
            case .applied(let request, let link):
                return InboundApplied.response(
                    comment: imported, status: request, trackerStatus: status.name, link: link)
            case .stale:
                return InboundApplied.response(comment: imported, ignored: "older than the last status applied")
            }
        case .issueDeleted(_, let actor):
            return try sync.deleted(by: actor)
                ? InboundApplied.response(link: "deleted") : InboundApplied.response(ignored: "already deleted")
        }
    }

    private static func importComment(
        _ comment: JiraCommentCreated, _ context: RequestContext, _ link: TicketLink, _ scope: InboundScope,
        jira: () -> JiraProvider?
    ) throws -> String {
        // Comments written by the integration account are ours (pushed before their id was stamped, or by hand).
        let ours: Bool
        if let provider = jira() {
            if let identity = provider.identity() {
                ours = identity.matches(comment.author)
            } else {
                // The account is unknown for now (/myself failed lately, or the tracker's slots are taken). Only a
                // push of this link that may have reached Jira without its comment id stamped yet can come back as
                // an echo: then Jira is asked to send again later (503; a redelivery keeps its identifier), when
                // the stamp de-duplicates it. Otherwise the comment is imported, de-duplicated by its Jira id.
                if try OutboxStore(db: context.database()).commentPushUnsettled(
                    org: link.orgID, linkID: link.id)
                {
                    throw APIError.identityUnknown
                }
                ours = false
            }
        } else {
            ours = false
        }
        let deliveryID = context.request.header("x-atlassian-webhook-identifier")
        return try record(comment, link: link, ours: ours, deliveryID: deliveryID, scope: scope, db: context.database())
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
                source: "jira", deliveryID: deliveryID, connectionID: scope.connectionID?.rawValue)
            return first ? "skipped" : "duplicate"
        }
        let condition =
            deliveryID.map {
                InboundDeliveryStore.firstSeen(
                    source: "jira", deliveryID: $0, connectionID: scope.connectionID?.rawValue, firstParameter: 6)
            } ?? .always
        let audit = AuditEvent(
            "inbound.applied", link: link, actor: .connection(scope.connectionID),
            detail: ["external_id": link.externalID.json, "external_comment_id": .string(event.commentID)])
        let rows = try db.pipeline([
            CommentStore.externalStatement(
                org: link.orgID, request: link.evidenceRequestID, author: event.authorName,
                body: event.body,
                externalCommentID: event.commentID, onlyIf: condition),
            audit.statement,
        ])
        return try rows.at(0).first == nil ? "duplicate" : "created"
    }

    /// By issue key, else by the numeric issue id; only links made with `provider` (`jira`, or `jira_cloud`),
    /// within `scope`.
    static func resolve(
        _ issue: JiraWebhook.Issue, scope: InboundScope, provider: ProviderKind = .jira, db: PGConnection
    ) throws -> TicketLink? {
        let links = TicketLinkStore(db: db)
        if let key = issue.key, let link = try links.active(externalID: ExternalTicketID(key), scope: scope),
            link.provider == provider.rawValue
        {
            return link
        }
        if let id = issue.id {
            return try links.active(provider: provider.rawValue, externalRef: id, scope: scope)
        }
        return nil
    }
}

extension APIError {
    /// Jira's account is unknown for now and the comment may be our own echo: Jira retries on a 503.
    static let identityUnknown = APIError(
        503, "provider-busy",
        "The Jira account Ticket Sync acts as cannot be confirmed right now; the comment is not recorded, send it again later.",
        title: "Ticket provider busy", headers: [("Retry-After", "30")])
}
