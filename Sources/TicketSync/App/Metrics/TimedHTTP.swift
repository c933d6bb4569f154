import Foundation
import TicketSyncPlatform

/// Wraps a provider's client so that every call it makes to its tracker is timed into
/// `ticketsync_tracker_request_duration_seconds{provider}`, whatever its outcome (a timeout counts its full time).
struct TimedHTTP: OutboundHTTP {
    let inner: any OutboundHTTP
    let provider: String
    let metrics: Metrics

    init(_ inner: any OutboundHTTP, provider: String, metrics: Metrics) {
        self.inner = inner
        self.provider = provider
        self.metrics = metrics
    }

    func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { metrics.trackerCall(provider: provider, nanoseconds: DispatchTime.now().uptimeNanoseconds &- started) }
        return inner.send(request, timeout: timeout)
    }
}
