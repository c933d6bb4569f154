import Foundation

/// Counts a worker's round trips to PostgreSQL and the time spent waiting for them, so that every access log line
/// can say what its request cost the database (`db=2/0.8ms`). One per worker thread, shared by the connections it
/// makes (a reconnect keeps counting); read and reset around each request.
public final class PGMeter {
    public private(set) var roundTrips = 0
    public private(set) var nanoseconds: UInt64 = 0
    /// Sessions opened (or re-opened) meanwhile: their setup is not counted as round trips of the request.
    public private(set) var connects = 0
    private var paused = false

    public init() {}

    public func reset() {
        roundTrips = 0
        nanoseconds = 0
        connects = 0
    }

    /// A session being set up: its statements are counted as one connect, not as the request's round trips.
    @discardableResult
    func connecting<T>(_ body: () throws -> T) rethrows -> T {
        connects += 1
        paused = true
        defer { paused = false }
        return try body()
    }

    /// Times one round trip.
    func measure<T>(_ body: () throws -> T) rethrows -> T {
        guard !paused else { return try body() }
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            roundTrips += 1
            nanoseconds += DispatchTime.now().uptimeNanoseconds &- started
        }
        return try body()
    }
}
