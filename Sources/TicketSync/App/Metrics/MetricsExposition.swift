import Foundation

/// The Prometheus text format (0.0.4) of the region's series and the gauges read at scrape time: one HELP and TYPE
/// per family, histogram buckets made cumulative, `_seconds` series (stored in nanoseconds) in seconds. A family
/// this binary does not know (a newer or older worker's) is still shown, untyped.
enum MetricsExposition {
    enum Kind: String { case counter, gauge, histogram }

    struct Family {
        let name: String
        let kind: Kind
        let help: String
        /// Series at zero are left out (one per route and status would be mostly zeros).
        var sparse = false
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static let families: [Family] = [
        Family(
            name: Metrics.Name.requests, kind: .counter, help: "Requests answered, by route template and status.",
            sparse: true),
        Family(
            name: Metrics.Name.requestDuration, kind: .histogram,
            help: "Time from reading a request to having written its answer, by route template.", sparse: true),
        Family(
            name: Metrics.Name.databaseRoundTrips, kind: .counter,
            help: "Round trips to PostgreSQL made while answering requests, by route template.", sparse: true),
        Family(
            name: Metrics.Name.databaseTime, kind: .counter,
            help: "Time spent waiting for PostgreSQL while answering requests, by route template.", sparse: true),
        Family(
            name: Metrics.Name.outboxEvents, kind: .gauge,
            help: "Outbox events not delivered yet, by state (failed: given up, waiting for a retry by hand)."),
        Family(
            name: Metrics.Name.outboxOldest, kind: .gauge,
            help: "Age of the oldest event waiting for delivery (pending or being delivered); 0 when none waits."),
        Family(
            name: Metrics.Name.deliveries, kind: .counter,
            help: "Outbox delivery attempts, by provider and outcome (delivered, retry, failed, lease_lost)."),
        Family(
            name: Metrics.Name.trackerDuration, kind: .histogram,
            help: "Duration of HTTP calls to trackers and webhook endpoints, by provider."),
        Family(
            name: Metrics.Name.inbound, kind: .counter,
            help: "Inbound webhook events, by source, result (accepted, rejected) and reason."),
        Family(
            name: Metrics.Name.restarts, kind: .counter,
            help: "Worker processes that ended unexpectedly and were replaced by the master."),
        Family(
            name: Metrics.Name.connections, kind: .counter,
            help: "FastCGI connections accepted from nginx (kept connections carry many requests each)."),
        Family(
            name: Metrics.Name.databaseUp, kind: .gauge,
            help: "1 when this scrape could read the outbox from PostgreSQL, else 0."),
    ]

    /// A value read for this scrape (not stored in the region).
    struct Gauge {
        let family: String
        let labels: [(String, String)]
        let value: Double
    }

    private struct Sample {
        let base: String
        let labels: String
        let value: UInt64
    }

    static func render(_ entries: [(name: String, value: UInt64)], gauges: [Gauge]) -> String {
        let known = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0) })
        var grouped: [String: [Sample]] = [:]
        for entry in entries {
            let sample = parse(entry.name, entry.value)
            grouped[familyName(sample.base, known: known), default: []].append(sample)
        }
        var gaugeFamilies: [String: [Gauge]] = [:]
        for gauge in gauges { gaugeFamilies[gauge.family, default: []].append(gauge) }

        var text = ""
        let unknown = Set(grouped.keys).subtracting(known.keys).sorted()
        for name in families.map(\.name) + unknown {
            let family = known[name]
            var lines: [String] = []
            if let gauges = gaugeFamilies[name] {
                lines = gauges.map { "\(Metrics.series(name, $0.labels)) \(number($0.value))" }
            } else if let samples = grouped[name] {
                lines =
                    family?.kind == .histogram
                    ? histogramLines(name, samples, sparse: family?.sparse ?? false)
                    : counterLines(samples, sparse: family?.sparse ?? false)
            }
            guard !lines.isEmpty else { continue }
            if let family {
                text += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            }
            text += lines.joined(separator: "\n") + "\n"
        }
        return text
    }

    private static func parse(_ name: String, _ value: UInt64) -> Sample {
        guard let open = name.firstIndex(of: "{"), name.last == "}" else {
            return Sample(base: name, labels: "", value: value)
        }
        let labels = name[name.index(after: open)..<name.index(before: name.endIndex)]
        return Sample(base: String(name[..<open]), labels: String(labels), value: value)
    }

    /// A histogram's `_bucket`, `_count` and `_sum` series belong to the histogram's family.
    private static func familyName(_ base: String, known: [String: Family]) -> String {
        for suffix in ["_bucket", "_count", "_sum"] where base.hasSuffix(suffix) {
            let family = String(base.dropLast(suffix.count))
            if known[family]?.kind == .histogram { return family }
        }
        return base
    }

    private static func counterLines(_ samples: [Sample], sparse: Bool) -> [String] {
        samples.filter { !sparse || $0.value > 0 }.sorted { $0.labels < $1.labels }.map {
            "\($0.base)\($0.labels.isEmpty ? "" : "{\($0.labels)}") \(value($0.base, $0.value))"
        }
    }

    private static func histogramLines(_ name: String, _ samples: [Sample], sparse: Bool) -> [String] {
        struct Group {
            var buckets: [(bound: Double, text: String, count: UInt64)] = []
            var count: UInt64 = 0
            var sum: UInt64 = 0
        }
        var groups: [String: Group] = [:]
        for sample in samples {
            if sample.base.hasSuffix("_bucket"), let le = sample.labels.range(of: "le=\"", options: .backwards) {
                let bound = String(sample.labels[le.upperBound...].dropLast())
                let rest = String(sample.labels[..<le.lowerBound])
                let key = rest.hasSuffix(",") ? String(rest.dropLast()) : rest
                groups[key, default: Group()].buckets.append((Double(bound) ?? .infinity, bound, sample.value))
            } else if sample.base.hasSuffix("_count") {
                groups[sample.labels, default: Group()].count = sample.value
            } else {
                groups[sample.labels, default: Group()].sum = sample.value
            }
        }
        var lines: [String] = []
        for (labels, group) in groups.sorted(by: { $0.key < $1.key }) {
            var cumulative: UInt64 = 0
            var bucketLines: [String] = []
            for bucket in group.buckets.sorted(by: { $0.bound < $1.bound }) {
                cumulative += bucket.count
                bucketLines.append(
                    "\(name)_bucket{\(labels.isEmpty ? "" : labels + ",")le=\"\(bucket.text)\"} \(cumulative)")
            }
            // Buckets and count are separate adds: a scrape between them must still see +Inf >= every bucket.
            let count = max(group.count, cumulative)
            if sparse && count == 0 { continue }
            let braces = labels.isEmpty ? "" : "{\(labels)}"
            lines += bucketLines
            lines.append("\(name)_bucket{\(labels.isEmpty ? "" : labels + ",")le=\"+Inf\"} \(count)")
            lines.append("\(name)_sum\(braces) \(value(name + "_sum", group.sum))")
            lines.append("\(name)_count\(braces) \(count)")
        }
        return lines
    }

    /// `_seconds` series are stored in nanoseconds.
    private static func value(_ base: String, _ raw: UInt64) -> String {
        base.contains("_seconds") ? number(Double(raw) / 1e9) : String(raw)
    }

    /// A number as Prometheus reads it: whole numbers without a fraction, others in the shortest exact form.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }  // trap-safe: |value| < 1e15
        return String(value)
    }
}
