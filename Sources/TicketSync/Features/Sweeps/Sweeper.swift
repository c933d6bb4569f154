import Dispatch
import Foundation
import TicketSyncPlatform

/// Runs due sweeps from a delivery loop that has no delivery to make (sweeps come after deliveries). A sweep reads
/// the tracker's changes since the connection's cursor (less the overlap), then looks up, one by one, the tickets it
/// has not looked up for longest (a deletion shows only that way), and applies all of it through `SweepApplier`.
/// The first failed call ends the sweep (a tracker that hangs holds a loop for one timeout, not a sweep's worth);
/// a 429 or 503 backs it off by the tracker's Retry-After.
struct Sweeper {
    let db: PGConnection
    let providers: ProviderRegistry
    let policy: SweepPolicy
    let timeouts: HTTPTimeouts

    /// Sweeps running in this process: at most half its loops, so deliveries always have a loop.
    private static let running = Counter()

    /// Claims one due sweep and runs it; false when none was due (or this process already sweeps enough).
    func runDue(loops: Int) throws -> Bool {
        guard Self.running.enter(limit: max(1, loops / 2)) else { return false }
        defer { Self.running.leave() }
        guard let claim = try SweepStore(db: db).claimDue(leaseSeconds: lease) else { return false }
        run(claim)
        return true
    }

    /// One call's worst case and a margin: the lease is renewed after every call.
    private var lease: Int { 2 * timeouts.totalSeconds + 30 }

    func run(_ claim: SweepStore.Claim) {
        let store = SweepStore(db: db)
        let started = DispatchTime.now().uptimeNanoseconds
        var changes = 0
        var poll = false
        var outcome = "ok"
        do {
            let target = try resolve(claim)
            poll = target.poll
            guard let sweeper = try providers.provider(target.config).sweeper(reading: db) else {
                throw SweepUnsupported(
                    "\(ProviderKind(rawValue: claim.kind)?.tracker.displayName ?? claim.kind) cannot be swept.")
            }
            let applier = SweepApplier(
                db: db, scope: claim.inboundScope, statusMap: target.config.statusMap, foundBy: "sweep",
                metrics: providers.metrics)
            var deferred: [TicketLinkID] = []
            var cursor = claim.startedAt
            var complete = true
            // 1. What changed since the cursor (from the oldest link on a first sweep; nothing without links).
            if let from = try claim.cursor ?? store.oldestLink(claim) {
                let since = from - Int64(policy.overlapSeconds) * 1000
                var page: String?
                var pages = 0
                var latest = from
                repeat {
                    guard pages < policy.pageBudget else {
                        complete = false
                        break
                    }
                    let result = try sweeper.changes(since: since, page: page)
                    pages += 1
                    for ticket in result.tickets {
                        if let (link, repairs) = try applier.apply(ticket) {
                            changes += repairs.count
                            if repairs.deferred { deferred.append(link.id) }
                        }
                        latest = max(latest, ticket.changedAt ?? latest)
                    }
                    page = result.next
                    guard try store.extend(claim, leaseSeconds: lease) else { return }
                } while page != nil
                // Out of pages: go on from the last change read, soon (other due sweeps first).
                if !complete { cursor = latest }
            }
            // 2. The tickets looked up longest ago, one by one.
            for link in try store.linksToLookUp(claim, limit: policy.lookupBudget) {
                let repairs = try applier.apply(try sweeper.lookup(link), to: link)
                changes += repairs.count
                if repairs.deferred { deferred.append(link.id) }
                try store.markLookedUp(link)
                guard try store.extend(claim, leaseSeconds: lease) else { return }
            }
            if complete { try store.markVerified(claim, except: deferred) }
            try store.finish(
                claim, cursor: cursor, changes: changes, nextInSeconds: complete ? policy.interval(poll: poll) : 1)
        } catch let unsupported as SweepUnsupported {
            outcome = "unsupported"
            record(
                claim, error: unsupported.reason, changes: changes, sweepable: false, retry: policy.interval(poll: poll)
            )
        } catch let error as TrackerError {
            var retry = policy.retrySeconds(failures: claim.failures + 1, poll: poll)
            if case .unavailable(_, let retryAfter) = error.reason {
                outcome = "rate_limited"
                retry = max(retryAfter ?? retry, 1)
            } else {
                outcome = "error"
            }
            record(claim, error: error.problem.detail, changes: changes, sweepable: true, retry: retry)
        } catch {
            outcome = "error"
            record(
                claim, error: "\(error)", changes: changes, sweepable: true,
                retry: policy.retrySeconds(failures: claim.failures + 1, poll: poll))
        }
        providers.metrics?.sweep(
            provider: claim.kind, outcome: outcome, nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
    }

    private func record(_ claim: SweepStore.Claim, error: String, changes: Int, sweepable: Bool, retry: Int) {
        ServerLog.warning("sweep \(claim.scope): \(error)")
        do {
            try SweepStore(db: db).fail(
                claim, error: error, changes: changes, sweepable: sweepable, retryInSeconds: retry)
        } catch {
            ServerLog.warning("sweep \(claim.scope): could not record the failure: \(error)")
        }
    }

    /// The claim's tracker: its configuration (with its status map), and whether it is poll-only.
    private func resolve(_ claim: SweepStore.Claim) throws -> (config: TrackerConfig, poll: Bool) {
        guard let id = claim.connectionID else {
            guard let kind = ProviderKind(rawValue: claim.kind) else { throw StoredValueError("kind", claim.kind) }
            return (providers.deployment(kind), false)
        }
        guard let connection = try ConnectionStore(db: db).find(id: id.rawValue), !connection.disabled else {
            throw SweepUnsupported("The connection is disabled or deleted.")
        }
        return (try providers.config(connection), connection.pollOnly)
    }

    /// A count shared by the loops of a process.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func enter(limit: Int) -> Bool {
            lock.withLock {
                guard value < limit else { return false }
                value += 1
                return true
            }
        }

        func leave() { lock.withLock { value -= 1 } }
    }
}
