import Foundation

/// Lines to stderr, one write(2) each so lines from different threads never interleave.
/// Never give it tokens, secrets or comment bodies.
public enum ServerLog {
    public static func info(_ message: String) { emit("info", message) }
    public static func warning(_ message: String) { emit("warning", message) }
    public static func error(_ message: String) { emit("error", message) }

    /// The access line: method, path (never the query string), status, duration.
    public static func request(method: String, path: String, status: Int, milliseconds: Double) {
        let tenths = Int((milliseconds * 10).rounded())
        emit("request", "\(method) \(path) \(status) \(tenths / 10).\(tenths % 10)ms")
    }

    private static func emit(_ level: String, _ message: String) {
        let line = Array("ticketsync \(level): \(message)\n".utf8)
        line.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
    }
}
