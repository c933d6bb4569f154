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

    /// /metrics is open to the responder; nginx admits only its allow-list (nginx/ticketsync-metrics.conf).
    @Test func everyRouteNeedsAPermissionExceptHealthAndMetrics() {
        for route in router.routes {
            if case .open = route.access {
                #expect(["/healthz", "/readyz", "/metrics"].contains(route.pattern))
            }
        }
    }
}
