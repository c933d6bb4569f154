import Foundation
import TicketSyncPlatform

/// A thread that keeps delivering due outbox events until stopped. The responder runs one;
/// `ticketsync deliver` runs one as a process of its own. Several may run at once (SKIP LOCKED claims).
public final class DeliveryLoop: @unchecked Sendable {
    private let settings: Settings
    private let providers: ProviderRegistry
    private let rests: LaneRests
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopping = false

    /// New connections get their sweep row within this (and "Re-sync now" makes one at once).
    static let sweepRowsEvery: UInt64 = 5 * 1_000_000_000

    /// `rests`: shared by the loops of one process (`LaneRests`); a loop of its own when not given.
    public init(settings: Settings, providers: ProviderRegistry, rests: LaneRests? = nil) {
        self.settings = settings
        self.providers = providers
        self.rests = rests ?? LaneRests(milliseconds: settings.deliveryPollMilliseconds)
    }

    public func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "delivery"
        thread.start()
    }

    /// Asks the loop to stop after the attempt in progress, and waits for it.
    public func stop() {
        lock.withLock { stopping = true }
        wake.signal()
        finished.wait()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func run() {
        let database = WorkerDatabase(conninfo: settings.databaseURL, limits: settings.databaseLimits)
        defer { database.close() }
        var lastPrune = DispatchTime(uptimeNanoseconds: 0)
        // The connection (lane) served last: the next claim starts after it.
        var lane: String?
        var lastSweepRows = DispatchTime(uptimeNanoseconds: 0)
        var lastDueDateWatch = DispatchTime(uptimeNanoseconds: 0)
        while !isStopping {
            // The retention pass (TICKET_RETENTION_INTERVAL, ten minutes by default); one process at a time prunes.
            let pruneEvery = UInt64(settings.retention.intervalSeconds) * 1_000_000_000
            if DispatchTime.now().uptimeNanoseconds - lastPrune.uptimeNanoseconds > pruneEvery {
                lastPrune = .now()
                do {
                    if let pruned = try Retention(db: database.connection(), policy: settings.retention).run(),
                        pruned.total > 0
                    {
                        ServerLog.info(
                            "retention: deleted \(pruned.outbox) outbox events, \(pruned.inboundIDs) seen inbound ids, "
                                + "\(pruned.rejections) rejection counts, \(pruned.audit) audit rows")
                    }
                } catch {
                    ServerLog.warning("retention: \(error)")
                }
            }
            var attempted = 0
            do {
                let deliverer = Deliverer(
                    db: try database.connection(), providers: providers, policy: settings.delivery)
                attempted = try deliverer.deliverDue(
                    limit: 16, timeouts: settings.httpTimeouts,
                    graceSeconds: settings.inlineTimeouts.totalSeconds + 2,
                    cap: settings.deliveryConnectionConcurrency, orgCap: settings.deliveryOrgConcurrency,
                    lane: &lane, rests: rests)
            } catch {
                ServerLog.warning("delivery loop: \(error)")
            }
            // Sweeps come after deliveries: only a loop with nothing to deliver runs one.
            var swept = false
            if attempted == 0 {
                do {
                    let db = try database.connection()
                    if DispatchTime.now().uptimeNanoseconds - lastSweepRows.uptimeNanoseconds > Self.sweepRowsEvery {
                        lastSweepRows = .now()
                        try SweepStore(db: db).ensureRows(deployment: providers.deliverable, policy: settings.sweeps)
                    }
                    let watchEvery = UInt64(settings.sweeps.dueDateWatchSeconds) * 1_000_000_000
                    if DispatchTime.now().uptimeNanoseconds - lastDueDateWatch.uptimeNanoseconds > watchEvery {
                        lastDueDateWatch = .now()
                        let queued = try DueDateWatch(db: db).run()
                        // A full batch: more are waiting, so the next idle turn looks again.
                        if queued >= DueDateWatch.batch { lastDueDateWatch = DispatchTime(uptimeNanoseconds: 0) }
                    }
                    swept = try Sweeper(
                        db: db, providers: providers, policy: settings.sweeps, timeouts: settings.httpTimeouts
                    ).runDue(loops: settings.deliveryLoops)
                } catch {
                    ServerLog.warning("sweep: \(error)")
                }
            }
            if attempted == 0 && !swept {
                _ = wake.wait(timeout: .now() + .milliseconds(settings.deliveryPollMilliseconds))
            }
        }
    }
}
