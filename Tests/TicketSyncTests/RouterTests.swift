import Testing

@testable import TicketSync

@Suite struct RouterTests {
    let router = Application(settings: Settings(environment: [:]), expectedSchemaVersion: 1).router
    let ticket = "/api/v1/orgs/o1/evidence-requests/r1/ticket"

    @Test func bindsPathParameters() throws {
        guard case .found(let route, let parameters) = router.match(method: "POST", path: ticket + "/close") else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern.hasSuffix("/ticket/close"))
        #expect(parameters == ["org_id": "o1", "request_id": "r1"])
    }

    @Test func listsAllowedMethodsForAKnownPath() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "PUT", path: ticket) else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "POST", "DELETE"])
    }

    @Test(arguments: [
        "/api/v1/orgs/o1/evidence-requests/r1/ticket/", "/api/v1/orgs//evidence-requests/r1/ticket",
        "/api/v1/orgs/o1/evidence-requests/r1/tickets", "/healthz/x", "/",
    ])
    func unknownPathsAreNotFound(_ path: String) {
        guard case .notFound = router.match(method: "GET", path: path) else {
            Issue.record("matched \(path)")
            return
        }
    }

    /// The access line never carries an inbound URL's token: matched or not, its segment is the route's template.
    @Test func theLoggedPathHidesAnInboundURLsToken() {
        let token = String(repeating: "ab", count: 32)
        let hook = "/api/v1/ticket-sync/hooks/\(token)"
        let template = "/api/v1/ticket-sync/hooks/{inbound_token}"
        for (method, path, logged) in [
            ("POST", hook, template), ("GET", hook, template), ("POST", hook + "/extra", template + "/extra"),
            ("POST", "/api/v1/ticket-sync/hooks/short", template), ("POST", ticket + "/close", ticket + "/close"),
            ("GET", "/api/v1/nope/\(token)", "/api/v1/nope/\(token)"),
        ] {
            var route: Int?
            if case .found(let found, _) = router.match(method: method, path: path) { route = found.index }
            #expect(router.loggedPath(path, route: route) == logged, "\(method) \(path)")
        }
        #expect(router.loggedPath("/api/v1/ticket-sync/hooks/", route: nil) == template)
    }

    /// /metrics is open to the responder; nginx admits only its allow-list (nginx/ticketsync-metrics.conf). Atlassian's
    /// OAuth redirect carries no bearer token: its single-use `state` authenticates it.
    @Test func everyRouteNeedsAPermissionExceptHealthAndMetrics() {
        for route in router.routes {
            if case .open = route.access {
                #expect(
                    ["/healthz", "/readyz", "/metrics", "/api/v1/ticket-sync/oauth/jira/callback"].contains(
                        route.pattern))
            }
        }
    }
}
