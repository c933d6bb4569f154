import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The shared counters, their exposition, and what the application counts (no database: the scrape's outbox
/// gauges are then absent and `ticketsync_database_up` is 0).
@Suite struct MetricsTests {
    @Test func twoMappingsOfTheSharedRegionCountTheSameSeries() throws {
        let master = try MetricsRegion.shared()
        let fd = try #require(master.fd)
        // What a worker does with the descriptor it inherits: its own mapping of the same file.
        let worker = try MetricsRegion.attach(fd: dup(fd))
        let slot = try #require(master.slot("ticketsync_test_total{kind=\"a\"}"))
        #expect(worker.slot("ticketsync_test_total{kind=\"a\"}") == slot)
        #expect(worker.slot("ticketsync_test_total{kind=\"b\"}") != slot)
        worker.add(slot, 5)
        master.add(slot, 2)
        #expect(master.value(slot) == 7)
        #expect(worker.entries().contains { $0.name == "ticketsync_test_total{kind=\"a\"}" && $0.value == 7 })
    }

    @Test func attachRefusesADescriptorThatIsNotARegion() throws {
        let fd = open("/dev/null", O_RDWR)
        defer { close(fd) }
        #expect(throws: MetricsRegion.Failure.self) { try MetricsRegion.attach(fd: fd) }
    }

    @Test func aFullTableOrAnOverlongNameIsNotCountedInsteadOfOverwritingAnother() throws {
        let region = try MetricsRegion.anonymous()
        #expect(region.slot(String(repeating: "x", count: MetricsRegion.nameBytes + 1)) == nil)
        var slots = Set<Int>()
        for index in 0..<MetricsRegion.capacity {
            slots.insert(try #require(region.slot("series_\(index)")))
        }
        #expect(slots.count == MetricsRegion.capacity)
        #expect(region.slot("one_too_many") == nil)
        #expect(region.slot("series_17") != nil)
    }

    @Test func concurrentAddsAreNotLost() throws {
        let region = try MetricsRegion.anonymous()
        let slot = try #require(region.slot("ticketsync_concurrent_total"))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { region.add(slot, 1) }
        }
        #expect(region.value(slot) == 80_000)
    }

    @Test func histogramsAreCumulativeInSecondsAndNeverBelowTheirBuckets() {
        let name = Metrics.Name.trackerDuration
        let text = MetricsExposition.render(
            [
                ("\(name)_bucket{provider=\"jira\",le=\"0.1\"}", 2),
                ("\(name)_bucket{provider=\"jira\",le=\"0.01\"}", 1),
                ("\(name)_bucket{provider=\"jira\",le=\"1\"}", 4),
                // A scrape between a bucket's add and the count's: +Inf must still cover every bucket.
                ("\(name)_count{provider=\"jira\"}", 6),
                ("\(name)_sum{provider=\"jira\"}", 2_500_000_000),
            ], gauges: [])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("# TYPE \(name) histogram") }.count == 1)
        #expect(lines.contains("\(name)_bucket{provider=\"jira\",le=\"0.01\"} 1"))
        #expect(lines.contains("\(name)_bucket{provider=\"jira\",le=\"0.1\"} 3"))
        #expect(lines.contains("\(name)_bucket{provider=\"jira\",le=\"1\"} 7"))
        #expect(lines.contains("\(name)_bucket{provider=\"jira\",le=\"+Inf\"} 7"))
        #expect(lines.contains("\(name)_count{provider=\"jira\"} 7"))
        #expect(lines.contains("\(name)_sum{provider=\"jira\"} 2.5"))
    }

    @Test func sparseFamiliesLeaveOutZerosAndUnknownFamiliesStayVisible() {
        let text = MetricsExposition.render(
            [
                ("\(Metrics.Name.requests){method=\"GET\",route=\"/healthz\",status=\"200\"}", 3),
                ("\(Metrics.Name.requests){method=\"GET\",route=\"/healthz\",status=\"500\"}", 0),
                ("\(Metrics.Name.deliveries){provider=\"mock\",outcome=\"retry\"}", 0),
                ("ticketsync_from_a_newer_binary_total", 4),
            ], gauges: [.init(family: Metrics.Name.databaseUp, labels: [], value: 1)])
        #expect(text.contains("status=\"200\"} 3\n"))
        #expect(!text.contains("status=\"500\""))
        #expect(text.contains("\(Metrics.Name.deliveries){provider=\"mock\",outcome=\"retry\"} 0\n"))
        #expect(text.contains("\nticketsync_from_a_newer_binary_total 4\n"))
        #expect(!text.contains("# TYPE ticketsync_from_a_newer_binary_total"))
        #expect(text.contains("# TYPE \(Metrics.Name.databaseUp) gauge\n\(Metrics.Name.databaseUp) 1\n"))
    }

    @Test func labelValuesAreEscaped() {
        #expect(Metrics.series("m", [("a", "x\"y\\z\nw")]) == "m{a=\"x\\\"y\\\\z\\nw\"}")
        #expect(MetricsExposition.number(0.25) == "0.25")
        #expect(MetricsExposition.number(10) == "10")
        #expect(MetricsExposition.number(.infinity) == "+Inf")
    }

    @Test(arguments: [
        (401, "invalid-signature", InboundMetric.Reason.signature), (503, "inbound-closed", .closed),
        (404, "not-found", .notFound), (413, "body-too-large", .tooLarge), (422, "invalid-field", .invalid),
        (415, "unsupported-media-type", .invalid), (503, "database-unavailable", .unavailable),
        (500, "internal-error", .error),
    ])
    func rejectedInboundEventsHaveTheirReason(_ status: Int, _ problem: String, _ reason: InboundMetric.Reason) {
        #expect(InboundMetric.Reason.rejected(status: status, problem: problem) == reason)
        #expect(reason.result == "rejected")
    }

    @Test func acceptedInboundEventsSayWhetherTheyChangedAnything() {
        #expect(InboundApplied.outcome(comment: "created", changed: false, ignored: nil) == .applied)
        #expect(InboundApplied.outcome(comment: nil, changed: true, ignored: nil) == .applied)
        #expect(InboundApplied.outcome(comment: "duplicate", changed: false, ignored: nil) == .duplicate)
        #expect(InboundApplied.outcome(comment: "skipped", changed: false, ignored: nil) == .ignored)
        #expect(InboundApplied.outcome(comment: nil, changed: false, ignored: "no linked ticket") == .ignored)
        #expect(InboundApplied.outcome(comment: nil, changed: false, ignored: nil) == .ignored)
        #expect(InboundApplied.outcome(comment: "created", changed: false, ignored: "older status") == .applied)
    }
}

/// What the application counts for the requests it answers, read back through `GET /metrics`.
@Suite struct ApplicationMetricsTests {
    let app = Application(
        settings: Settings(
            environment: ["DATABASE_URL": "host=/nonexistent port=1", "TICKET_WEBHOOK_SECRET": "s3cret-s3cret"]),
        expectedSchemaVersion: 2)
    let database = WorkerDatabase(conninfo: "host=/nonexistent port=1")

    func answer(_ request: HTTPRequest) -> HTTPResponse {
        let response = app.handle(request, database: database)
        app.record(response, nanoseconds: 3_000_000, database: database.meter)
        return response
    }

    func scrape() -> String {
        String(
            decoding: app.handle(HTTPRequest(method: "GET", path: "/metrics"), database: database).body, as: UTF8.self)
    }

    @Test func requestsAreCountedByRouteTemplateNeverByRawPath() {
        let path =
            "/api/v1/orgs/11111111-1111-4111-8111-111111111111/evidence-requests/aaaaaaaa-0000-4000-8000-000000000001"
        _ = answer(HTTPRequest(method: "GET", path: "/healthz"))
        _ = answer(HTTPRequest(method: "GET", path: "/healthz"))
        _ = answer(HTTPRequest(method: "GET", path: path + "/ticket"))
        _ = answer(HTTPRequest(method: "GET", path: "/no/such/11111111-1111-4111-8111-111111111111"))
        let text = scrape()
        #expect(text.contains("ticketsync_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n"))
        #expect(
            text.contains(
                "ticketsync_http_requests_total{method=\"GET\",route=\"/api/v1/orgs/{org_id}/evidence-requests/{request_id}/ticket\",status=\"401\"} 1\n"
            ))
        #expect(text.contains("ticketsync_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"))
        #expect(!text.contains("11111111-1111"))
        #expect(
            text.contains(
                "ticketsync_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.005\"} 2\n"))
        #expect(
            text.contains("ticketsync_http_request_duration_seconds_sum{method=\"GET\",route=\"/healthz\"} 0.006\n"))
        #expect(text.contains("ticketsync_database_up 0\n"))
        #expect(!text.contains("ticketsync_outbox_events"))
    }

    @Test func inboundEventsAreCountedBySourceAndReason() {
        var request = HTTPRequest(method: "POST", path: "/api/v1/ticket-sync/webhook")
        request.body = Array("{}".utf8)
        request.headers["x-signature"] = "sha256=00"
        #expect(answer(request).status == 401)
        let closed = HTTPRequest(method: "POST", path: "/api/v1/ticket-sync/webhook/jira")
        #expect(answer(closed).status == 503)
        let text = scrape()
        #expect(
            text.contains("ticketsync_inbound_total{source=\"generic\",result=\"rejected\",reason=\"signature\"} 1\n"))
        #expect(text.contains("ticketsync_inbound_total{source=\"jira\",result=\"rejected\",reason=\"closed\"} 1\n"))
        #expect(
            text.contains("ticketsync_inbound_total{source=\"generic\",result=\"accepted\",reason=\"applied\"} 0\n"))
    }

    @Test func trackerCallsAreTimedByProvider() {
        struct Instant: OutboundHTTP {
            func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult { .failure("refused") }
        }
        guard let metrics = app.metrics, let url = URL(string: "http://127.0.0.1:9/") else {
            Issue.record("no metrics")
            return
        }
        let client = TimedHTTP(Instant(), provider: "servicenow", metrics: metrics)
        _ = client.send(OutboundRequest(url: url, method: "GET"), timeout: HTTPTimeouts(connect: 1, total: 1))
        #expect(scrape().contains("ticketsync_tracker_request_duration_seconds_count{provider=\"servicenow\"} 1\n"))
    }
}
