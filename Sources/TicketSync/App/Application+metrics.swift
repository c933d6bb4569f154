import TicketSyncPlatform

extension Application {
    /// Counts one answered request: its route and status, how long it took, what it cost the database, and, on an
    /// inbound webhook's route, what became of the event.
    func record(_ response: HTTPResponse, nanoseconds: UInt64, database: PGMeter) {
        guard let metrics else { return }
        metrics.request(
            route: response.route, status: response.status, nanoseconds: nanoseconds,
            roundTrips: database.roundTrips, databaseNanoseconds: database.nanoseconds)
        guard let index = response.route, router.routes.indices.contains(index) else { return }
        let source: String
        switch router.routes[index].access {
        case .inbound(let route): source = route.name
        case .connectionHook: source = InboundMetric.connection
        case .open, .user, .org: return
        }
        let reason =
            (200..<300).contains(response.status)
            ? response.inboundOutcome ?? .applied
            : InboundMetric.Reason.rejected(status: response.status, problem: response.problemType)
        metrics.inbound(source, reason)
    }
}
