/// The route table: every endpoint the service answers, with the permission it needs.
extension Application {
    static func registerRoutes(on router: inout Router, expectedSchemaVersion: Int) {
        let request = "/api/v1/orgs/{org_id}/evidence-requests/{request_id}"

        router.add("GET", "/healthz", .open, HealthRoutes.health)
        router.add("GET", "/readyz", .open) { try HealthRoutes.ready($0, expectedSchemaVersion: expectedSchemaVersion) }
        router.add("GET", "/metrics", .open, MetricsRoutes.scrape)

        router.add("GET", "\(request)/ticket", .org(.read), reads: TicketRoutes.linkQuery, TicketRoutes.read)
        router.add("POST", "\(request)/ticket", .org(.configure), TicketRoutes.create)
        router.add("DELETE", "\(request)/ticket", .org(.configure), TicketRoutes.unlink)
        router.add("POST", "\(request)/ticket/close", .org(.configure), TicketRoutes.close)
        router.add("POST", "\(request)/ticket/retry", .org(.configure), TicketRoutes.retry)
        router.add("POST", "\(request)/ticket/resync", .org(.configure), SweepRoutes.resyncTicket)

        router.add("GET", "\(request)/comments", .org(.read), reads: CommentRoutes.threadQuery, CommentRoutes.thread)
        router.add("POST", "\(request)/comments", .org(.read), reads: TicketRoutes.linkQuery, CommentRoutes.post)

        router.add(
            "GET", "/api/v1/orgs/{org_id}/ticket-sync/status", .org(.read), reads: ConnectionRoutes.listQuery,
            StatusRoutes.status)
        router.add(
            "GET", "/api/v1/orgs/{org_id}/ticket-sync/health", .org(.read), reads: SyncHealthRoutes.query,
            SyncHealthRoutes.health)

        router.add("GET", "/api/v1/me", .user, reads: MeRoutes.membershipsQuery, MeRoutes.me)
        router.add(
            "GET", "/api/v1/orgs/{org_id}/evidence-requests", .org(.read), reads: EvidenceRequestRoutes.listQuery,
            EvidenceRequestRoutes.list)
        router.add("GET", request, .org(.read), reads: TicketRoutes.linkQuery, EvidenceRequestRoutes.read)

        router.add(
            "GET", "/api/v1/orgs/{org_id}/ticket-sync/audit", .org(.configure), reads: AuditRoutes.query,
            AuditRoutes.list)

        let connections = "/api/v1/orgs/{org_id}/ticket-sync/connections"
        router.add("GET", connections, .org(.read), reads: ConnectionRoutes.listQuery, ConnectionRoutes.list)
        router.add("POST", connections, .org(.configure), ConnectionRoutes.create)
        router.add(
            "GET", "\(connections)/{connection_id}", .org(.read), reads: ConnectionRoutes.readQuery,
            ConnectionRoutes.read)
        router.add("PATCH", "\(connections)/{connection_id}", .org(.configure), ConnectionRoutes.update)
        router.add("DELETE", "\(connections)/{connection_id}", .org(.configure), ConnectionRoutes.delete)
        router.add("POST", "\(connections)/{connection_id}/test", .org(.configure), ConnectionRoutes.test)
        router.add("POST", "\(connections)/{connection_id}/resync", .org(.configure), SweepRoutes.resyncConnection)
        router.add(
            "POST", "\(connections)/{connection_id}/inbound-secret", .org(.configure),
            ConnectionRoutes.rotateInboundSecret)
        // A field mapping checked and rendered for one of the org's requests, before it is saved.
        router.add(
            "POST", "/api/v1/orgs/{org_id}/ticket-sync/fields/preview", .org(.configure), FieldPreviewRoutes.preview)
        // Jira Cloud with OAuth 2.0: start (or restart, for a reconnect), and Atlassian's redirect back (the state
        // authenticates it).
        router.add("POST", "\(connections)/oauth/jira", .org(.configure), JiraOAuthRoutes.connect)
        router.add("GET", "/api/v1/ticket-sync/oauth/jira/callback", .open, JiraOAuthRoutes.callback)

        // The deployment default's inbound routes (the seed's), and one inbound URL per org connection.
        router.add("POST", "/api/v1/ticket-sync/hooks/{inbound_token}", .connectionHook, HookRoutes.hook)
        router.add("POST", InboundSource.generic.path, .inbound(.generic), InboundRoutes.webhook)
        // A tracker whose webhooks sign their own way brings its own deployment-level route.
        for kind in ProviderKind.allCases {
            guard let handler = kind.deploymentWebhook, let source = kind.inboundSource else { continue }
            router.add("POST", source.path, .inbound(source), handler)
        }
    }
}
