import TicketSyncPlatform

/// `GET /metrics`: the Prometheus text format. Counters come from the region every worker adds to; the outbox's
/// depth and oldest waiting event are read from PostgreSQL now (one statement on the undelivered-events index).
/// No login: nginx's `location = /metrics` admits only its allow-list (nginx/ticketsync-metrics.conf).
enum MetricsRoutes {
    static func scrape(_ context: RequestContext) throws -> HTTPResponse {
        guard let metrics = context.providers.metrics else {
            throw APIError(503, "metrics-unavailable", "This process could not map its metrics region.")
        }
        let text = MetricsExposition.render(metrics.region.entries(), gauges: outboxGauges(context))
        return HTTPResponse(
            status: 200, headers: [("Content-Type", MetricsExposition.contentType)], body: Array(text.utf8))
    }

    /// Depth by state (pending, delivering, failed; always all three), the oldest waiting event's age, and whether
    /// the database answered (the counters are still served when it does not).
    static func outboxGauges(_ context: RequestContext) -> [MetricsExposition.Gauge] {
        let rows: [PGRow]
        do { rows = try context.database().query(depthSQL, [], key: depthKey).all } catch {
            ServerLog.warning("metrics: the outbox could not be read: \(error)")
            return [MetricsExposition.Gauge(family: Metrics.Name.databaseUp, labels: [], value: 0)]
        }
        var depth = ["pending": 0.0, "delivering": 0.0, "failed": 0.0]
        var oldest = 0.0
        for row in rows {
            depth[row.string("state")] = Double(row.int("events"))
            oldest = max(oldest, row["oldest_seconds"].flatMap(Double.init) ?? 0)
        }
        return depth.keys.sorted().map {
            MetricsExposition.Gauge(family: Metrics.Name.outboxEvents, labels: [("state", $0)], value: depth[$0] ?? 0)
        } + [
            MetricsExposition.Gauge(family: Metrics.Name.outboxOldest, labels: [], value: oldest),
            MetricsExposition.Gauge(family: Metrics.Name.databaseUp, labels: [], value: 1),
        ]
    }

    /// Every org's events together: the operator's view (no org label: orgs are not a bounded set).
    static let depthSQL = """
        SELECT state, count(*) AS events,
               CASE WHEN state IN ('pending', 'delivering')
                    THEN extract(epoch FROM clock_timestamp() - min(created_at)) END AS oldest_seconds
        FROM ticket_sync.outbox
        WHERE state NOT IN ('delivered', 'cancelled')
        GROUP BY state
        """
    static let depthKey = PGStatementKey()
}
