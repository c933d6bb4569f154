import Foundation

/// Counts a worker's round trips to PostgreSQL and the time spent waiting for them, so that every access log line
/// can say what its request cost the database (`db=2/0.8ms`). One per worker thread, shared by the connections it
/// makes (a reconnect keeps counting); read and reset around each request.
public final class PGMeter {
    public private(set) var roundTrips = 0
    public private(set) var nanoseconds: UInt64 = 0

    public init() {}

    public func reset() {
        roundTrips = 0
        nanoseconds = 0
    }

    /// Times one round trip.
    func measure<T>(_ body: () throws -> T) rethrows -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            roundTrips += 1
            nanoseconds += DispatchTime.now().uptimeNanoseconds &- started
        }
        return try body()
    }
}
