import TicketSyncPlatform

extension HTTPResponse {
    /// What an inbound webhook's event came to, for `ticketsync_inbound_total` (kept in the response's
    /// outcome label, which the platform carries without knowing what it means).
    var inboundOutcome: InboundMetric.Reason? {
        get { outcome.flatMap(InboundMetric.Reason.init(rawValue:)) }
        set { outcome = newValue?.rawValue }
    }
}
