import Foundation

/// Lines to stderr, one write(2) each so lines from different threads never interleave.
/// Never give it tokens, secrets or comment bodies.
public enum ServerLog {
    public static func info(_ message: String) { emit("info", message) }
    public static func warning(_ message: String) { emit("warning", message) }
    public static func error(_ message: String) { emit("error", message) }

    /// The access line: method, path (never the query string), status, duration, and the database's part of it:
    /// `GET /api/v1/… 200 1.4ms db=1/0.6ms` (round trips / time waiting for them), plus ` db-connect` when the
    /// request had to open the worker's session first (not counted as its round trips).
    public static func request(method: String, path: String, status: Int, milliseconds: Double, database: PGMeter) {
        let databaseMilliseconds = Double(database.nanoseconds) / 1_000_000
        emit(
            "request",
            "\(method) \(path) \(status) \(tenths(milliseconds))ms db=\(database.roundTrips)/\(tenths(databaseMilliseconds))ms"
                + (database.connects > 0 ? " db-connect" : ""))
    }

    /// `1.4` for 1.43: one decimal, without Foundation's formatting.
    static func tenths(_ milliseconds: Double) -> String {
        let tenths = Int((milliseconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func emit(_ level: String, _ message: String) {
        let line = Array("ticketsync \(level): \(message)\n".utf8)
        line.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
    }
}
