import Dispatch
import Foundation

/// The lanes (connections, or deployment-default providers) this process's delivery loops found with nothing due and
/// nothing in flight, each left out of the loops' claims until its rest ends. Finding that a lane has nothing due
/// can mean looking at the first event of every ticket it has open (`OutboxStore.laneDueSQL`): tens of milliseconds
/// for a connection with thousands of tickets backing off after an outage, paid under the lock every claim takes.
/// Without a rest, every claim of every loop that passed that lane paid it again, and every other org's deliveries
/// waited behind it. A rest is as long as a loop's idle poll: an event that becomes due in a resting lane waits at
/// most that much longer; a request's own first attempt and "Retry now" never go through a turn, so they do not
/// wait at all.
public final class LaneRests: @unchecked Sendable {
    private let lock = NSLock()
    private var until: [String: UInt64] = [:]
    private let restNanoseconds: UInt64
    private let now: () -> UInt64

    /// The loops of one process share one (`DeliveryLoop.rests`), so one search serves all of them.
    public init(milliseconds: Int, now: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.restNanoseconds = UInt64(max(0, milliseconds)) * 1_000_000
        self.now = now
    }

    /// The lanes resting now; forgets those whose rest has ended.
    public func resting() -> [String] {
        let time = now()
        return lock.withLock {
            until = until.filter { $0.value > time }
            return until.keys.sorted()
        }
    }

    public func rest(_ lanes: [String]) {
        guard !lanes.isEmpty else { return }
        let end = now() + restNanoseconds
        lock.withLock {
            for lane in lanes { until[lane] = end }
        }
    }

    /// The lanes of a comma-separated list (lanes are connection ids and provider kinds: never a comma).
    static func lanes(fromList text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }
}
