import Testing

@testable import TicketSync

/// The sweeps' settings and the pure decisions they drive.
struct SweepPolicyTests {
    @Test func durationsAcceptSecondsAndUnits() {
        #expect(SweepPolicy.seconds("900") == 900)
        #expect(SweepPolicy.seconds("90s") == 90)
        #expect(SweepPolicy.seconds("15m") == 900)
        #expect(SweepPolicy.seconds(" 1h ") == 3600)
        for bad in ["", "0", "-5", "15 minutes", "1d", "8h0", "999999999"] { #expect(SweepPolicy.seconds(bad) == nil) }
    }

    @Test func settingsReadTheEnvironmentAndRefuseNonsense() {
        let settings = Settings(environment: [
            "TICKET_SYNC_SWEEP_INTERVAL": "2s", "TICKET_SYNC_POLL_INTERVAL": "1m", "TICKET_SYNC_SWEEP_PAGES": "3",
        ])
        #expect(settings.sweeps.intervalSeconds == 2 && settings.sweeps.pollIntervalSeconds == 60)
        #expect(settings.sweeps.pageBudget == 3 && settings.sweeps.lookupBudget == 20)
        #expect(Settings(environment: [:]).sweeps == SweepPolicy())
        let bad = Settings(environment: ["TICKET_SYNC_SWEEP_INTERVAL": "often"])
        #expect(bad.errors.contains { $0.hasPrefix("TICKET_SYNC_SWEEP_INTERVAL") })
    }

    /// A failed sweep is retried after 30 s, doubling, never later than the connection's interval.
    @Test func retriesBackOffUpToTheInterval() {
        var policy = SweepPolicy()
        #expect(policy.retrySeconds(failures: 1, poll: false) == 30)
        #expect(policy.retrySeconds(failures: 3, poll: false) == 120)
        #expect(policy.retrySeconds(failures: 40, poll: false) == 900)
        policy.pollIntervalSeconds = 60
        #expect(policy.retrySeconds(failures: 3, poll: true) == 60)
    }

    /// A link that never heard of a status agrees with a ticket still new; any other difference is drift.
    @Test func driftIsADifferentStatus() {
        var link = TicketLink(
            id: "l", orgID: "o", evidenceRequestID: "r", provider: "mock", connectionID: nil, externalID: "X-1",
            syncState: .synced, createdAt: "", updatedAt: "")
        let new = TrackerStatusChange(name: "To Do", category: .new, milliseconds: 1)
        let done = TrackerStatusChange(name: "Done", category: .done, milliseconds: 2)
        #expect(!SweepApplier.drifted(link, to: new))
        #expect(SweepApplier.drifted(link, to: done))
        link.trackerStatus = .init(name: "Done", category: "done", changedAt: "")
        #expect(!SweepApplier.drifted(link, to: done))
        #expect(SweepApplier.drifted(link, to: new))
    }
}
