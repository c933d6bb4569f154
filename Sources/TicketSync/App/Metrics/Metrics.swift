import TicketSyncPlatform

/// What the service counts for `GET /metrics`, each series registered once (at start) in the shared region, so
/// recording is a few relaxed atomic adds with no lookup. Labels come from fixed sets only (route templates, status
/// codes, provider kinds, outcomes and reasons): never a raw path, an id or a message.
public final class Metrics: Sendable {
    public let region: MetricsRegion
    private let routes: [RouteSeries]
    private let unmatched: RouteSeries
    private let deliverySlots: [String: [DeliveryMetric: Int?]]
    private let trackerCalls: [String: Histogram]
    private let inboundSlots: [String: [InboundMetric.Reason: Int?]]
    private let restarts: Int?
    private let connections: Int?
    private let driftSlots: [String: [String: Int?]]
    private let sweepSlots: [String: [String: Int?]]
    private let sweepDurations: [String: Histogram]

    /// `routes`: (method, template) of every route, in the router's order.
    public init(region: MetricsRegion, routes: [(method: String, pattern: String)]) {
        self.region = region
        self.routes = routes.map { RouteSeries(region, method: $0.method, route: $0.pattern) }
        unmatched = RouteSeries(region, method: "", route: "unmatched")
        let providers = ProviderKind.allCases.map(\.rawValue)
        deliverySlots = Dictionary(
            uniqueKeysWithValues: providers.map { provider in
                (
                    provider,
                    Dictionary(
                        uniqueKeysWithValues: DeliveryMetric.allCases.map {
                            (
                                $0,
                                region.slot(
                                    Self.series(Name.deliveries, [("provider", provider), ("outcome", $0.rawValue)]))
                            )
                        })
                )
            })
        trackerCalls = Dictionary(
            uniqueKeysWithValues: providers.map {
                ($0, Histogram(region, Name.trackerDuration, labels: [("provider", $0)], bounds: Self.trackerBounds))
            })
        inboundSlots = Dictionary(
            uniqueKeysWithValues: InboundMetric.sources.map { source in
                (
                    source,
                    Dictionary(
                        uniqueKeysWithValues: InboundMetric.Reason.allCases.map {
                            let labels = [("source", source), ("result", $0.result), ("reason", $0.rawValue)]
                            return ($0, region.slot(Self.series(Name.inbound, labels)))
                        })
                )
            })
        restarts = region.slot(Name.restarts)
        connections = region.slot(Name.connections)
        func table(_ name: String, _ label: String, _ values: [String]) -> [String: [String: Int?]] {
            Dictionary(
                uniqueKeysWithValues: providers.map { provider in
                    (
                        provider,
                        Dictionary(
                            uniqueKeysWithValues: values.map {
                                ($0, region.slot(Self.series(name, [("provider", provider), (label, $0)])))
                            })
                    )
                })
        }
        driftSlots = table(Name.driftRepaired, "what", SweepMetric.repairs)
        sweepSlots = table(Name.sweeps, "outcome", SweepMetric.outcomes)
        sweepDurations = Dictionary(
            uniqueKeysWithValues: providers.map {
                ($0, Histogram(region, Name.sweepDuration, labels: [("provider", $0)], bounds: Self.trackerBounds))
            })
    }

    /// A change a sweep or a re-sync applied that the webhooks had missed (`what`: comment, status, closed, deleted).
    public func driftRepaired(provider: String, what: String) {
        add(driftSlots[provider]?[what] ?? nil)
    }

    /// One sweep run and how it ended (`outcome`: ok, error, rate_limited, unsupported).
    public func sweep(provider: String, outcome: String, nanoseconds: UInt64) {
        add(sweepSlots[provider]?[outcome] ?? nil)
        sweepDurations[provider]?.observe(nanoseconds, in: region)
    }

    /// A process's own metrics, seen by no other process (tests, `--workers 0` without a region).
    public static func local(routes: [(method: String, pattern: String)]) -> Metrics? {
        (try? MetricsRegion.anonymous()).map { Metrics(region: $0, routes: routes) }
    }

    /// One answered request. `route` is the router's index of the route that answered (nil: none matched).
    public func request(route: Int?, status: Int, nanoseconds: UInt64, roundTrips: Int, databaseNanoseconds: UInt64) {
        let series = route.flatMap { routes.indices.contains($0) ? routes[$0] : nil } ?? unmatched
        add(series.statuses[StatusLabel.index(status)])
        series.duration.observe(nanoseconds, in: region)
        add(series.roundTrips, UInt64(max(0, roundTrips)))
        add(series.databaseTime, databaseNanoseconds)
    }

    public func delivery(provider: String, _ outcome: DeliveryMetric) {
        add(deliverySlots[provider]?[outcome] ?? nil)
    }

    public func trackerCall(provider: String, nanoseconds: UInt64) {
        trackerCalls[provider]?.observe(nanoseconds, in: region)
    }

    public func inbound(_ source: String, _ reason: InboundMetric.Reason) {
        add(inboundSlots[source]?[reason] ?? nil)
    }

    public func workerRestarted() { add(restarts) }

    /// A FastCGI connection accepted from nginx (a kept one serves many requests: compare with the requests).
    public func connectionAccepted() { add(connections) }

    private func add(_ slot: Int?, _ value: UInt64 = 1) {
        if let slot, value > 0 { region.add(slot, value) }
    }

    /// Request latency, 1 ms to 10 s.
    static let requestBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Tracker calls, 10 ms to 30 s (the longest total timeout a deployment is likely to set).
    static let trackerBounds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// `name{key="value",…}` with the labels in a fixed order (the region finds a series by this exact text).
    static func series(_ name: String, _ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return name }
        return name + "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// A label value in the exposition format: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// One route's series: requests by status, latency, and what it cost the database.
struct RouteSeries: Sendable {
    let statuses: [Int?]
    let duration: Histogram
    let roundTrips: Int?
    let databaseTime: Int?

    init(_ region: MetricsRegion, method: String, route: String) {
        let labels = method.isEmpty ? [("route", route)] : [("method", method), ("route", route)]
        statuses = StatusLabel.all.map {
            region.slot(Metrics.series(Metrics.Name.requests, labels + [("status", $0)]))
        }
        duration = Histogram(region, Metrics.Name.requestDuration, labels: labels, bounds: Metrics.requestBounds)
        roundTrips = region.slot(Metrics.series(Metrics.Name.databaseRoundTrips, labels))
        databaseTime = region.slot(Metrics.series(Metrics.Name.databaseTime, labels))
    }
}

/// A histogram's series. Buckets are stored per bucket (not cumulative: one add per observation) and summed when
/// rendered; the sum is stored in nanoseconds like every `_seconds` series.
struct Histogram: Sendable {
    let bounds: [Double]
    let buckets: [Int?]
    let count: Int?
    let sum: Int?

    init(_ region: MetricsRegion, _ name: String, labels: [(String, String)], bounds: [Double]) {
        self.bounds = bounds
        buckets = bounds.map {
            region.slot(Metrics.series(name + "_bucket", labels + [("le", MetricsExposition.number($0))]))
        }
        count = region.slot(Metrics.series(name + "_count", labels))
        sum = region.slot(Metrics.series(name + "_sum", labels))
    }

    func observe(_ nanoseconds: UInt64, in region: MetricsRegion) {
        let seconds = Double(nanoseconds) / 1e9
        if let index = bounds.firstIndex(where: { seconds <= $0 }), let slot = buckets[index] { region.add(slot, 1) }
        if let count { region.add(count, 1) }
        if let sum { region.add(sum, nanoseconds) }
    }
}

/// The status label: the codes this service and nginx answer with, anything else as `other`.
enum StatusLabel {
    static let codes = [
        200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 413, 414, 415, 422, 429,
        500, 501, 502, 503, 504,
    ]
    static let all = codes.map(String.init) + ["other"]
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: UInt8(codes.count), count: 600)
        for (index, code) in codes.enumerated() { table[code] = UInt8(index) }
        return table
    }()

    static func index(_ status: Int) -> Int { table.indices.contains(status) ? Int(table[status]) : codes.count }
}

/// The label values of the sweep metrics.
public enum SweepMetric {
    static let repairs = ["comment", "status", "closed", "deleted"]
    static let outcomes = ["ok", "error", "rate_limited", "unsupported"]
}

/// What one delivery attempt came to.
public enum DeliveryMetric: String, CaseIterable, Sendable {
    case delivered, retry, failed
    /// Another loop held the event by then (its lease ran out), or the ticket was unlinked meanwhile.
    case leaseLost = "lease_lost"
}

/// Inbound webhooks: where they came in and what became of them.
public enum InboundMetric {
    /// The `source` label of a connection's own inbound URL.
    public static let connection = "connection"

    /// Every `source` label: the deployment-level routes by name (the generic one and each tracker's own), then the
    /// connections' inbound URLs.
    static var sources: [String] {
        let own = ProviderKind.allCases.compactMap { kind in
            kind.deploymentWebhook == nil ? nil : kind.inboundSource?.name
        }
        return [InboundSource.generic.name] + own + [connection]
    }

    public enum Reason: String, CaseIterable, Sendable {
        case applied, duplicate, ignored
        case signature, closed
        case notFound = "not_found"
        case invalid
        case tooLarge = "too_large"
        case unavailable, error

        var result: String {
            switch self {
            case .applied, .duplicate, .ignored: "accepted"
            default: "rejected"
            }
        }

        /// A refused event's reason, from its answer's status and problem type.
        static func rejected(status: Int, problem: String?) -> Reason {
            switch (status, problem) {
            case (401, _): .signature
            case (503, "inbound-closed"): .closed
            case (404, _): .notFound
            case (413, _): .tooLarge
            case (400..<500, _): .invalid
            case (503, _): .unavailable
            default: .error
            }
        }
    }
}

extension Metrics {
    /// Every metric name, in one place (the README lists them).
    enum Name {
        static let requests = "ticketsync_http_requests_total"
        static let requestDuration = "ticketsync_http_request_duration_seconds"
        static let databaseRoundTrips = "ticketsync_db_round_trips_total"
        static let databaseTime = "ticketsync_db_wait_seconds_total"
        static let deliveries = "ticketsync_deliveries_total"
        static let trackerDuration = "ticketsync_tracker_request_duration_seconds"
        static let inbound = "ticketsync_inbound_total"
        static let restarts = WorkerMaster.restartsSeries
        static let connections = "ticketsync_fastcgi_connections_accepted_total"
        static let outboxEvents = "ticketsync_outbox_events"
        static let outboxOldest = "ticketsync_outbox_oldest_pending_age_seconds"
        static let databaseUp = "ticketsync_database_up"
        static let driftRepaired = "ticketsync_sync_drift_repaired_total"
        static let sweeps = "ticketsync_sync_sweeps_total"
        static let sweepDuration = "ticketsync_sync_sweep_duration_seconds"
    }
}
