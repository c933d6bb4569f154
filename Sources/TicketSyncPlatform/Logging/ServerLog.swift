import Foundation

/// Lines to stderr, one write(2) each so lines from different threads never interleave. Text by default
/// (`ticketsync <level>: <message>`), or one JSON object per line with `TICKETSYNC_LOG_FORMAT=json`. Either way no input
/// can forge a line: control characters are escaped. Every line written while a request is handled carries its
/// request id. Never give it tokens, secrets or comment bodies.
public enum ServerLog {
    public enum Format: String, Sendable { case text, json }

    /// Set once at start-up, before any thread logs.
    nonisolated(unsafe) public static var format = Format.text

    /// The id of the request this thread is handling (see `FastCGIServer`); nil outside a request.
    @TaskLocal public static var requestID: String?

    public static func info(_ message: String) { emit("info", message) }
    public static func warning(_ message: String) { emit("warning", message) }
    public static func error(_ message: String) { emit("error", message) }

    /// The access line: method, path (never the query string; an inbound URL's secret token as its route template,
    /// see `Router.loggedPath`), status, duration, and the database's part of it:
    /// `GET /api/v1/… 200 1.4ms db=1/0.6ms` (round trips / time waiting for them), plus ` db-connect` when the
    /// request had to open the worker's session first (not counted as its round trips). In JSON the same values are
    /// fields of their own, with the route's template as `route` when one matched.
    public static func request(
        method: String, path: String, route: String? = nil, status: Int, milliseconds: Double, database: PGMeter
    ) {
        let databaseMilliseconds = Double(database.nanoseconds) / 1_000_000
        let message =
            "\(method) \(path) \(status) \(tenths(milliseconds))ms db=\(database.roundTrips)/\(tenths(databaseMilliseconds))ms"
            + (database.connects > 0 ? " db-connect" : "")
        // The fields only when they are written (JSON): text is the default, and this runs for every request.
        let fields: [String: JSONValue] =
            format == .json
            ? [
                "method": .string(method), "path": .string(path), "status": .int(status),
                "ms": .fragment(Array(tenths(milliseconds).utf8)), "db_round_trips": .int(database.roundTrips),
                "db_ms": .fragment(Array(tenths(databaseMilliseconds).utf8)),
                "db_connect": .bool(database.connects > 0), "route": .optional(route),
            ] : [:]
        emit("request", message, fields: fields)
    }

    /// `1.4` for 1.43: one decimal, without Foundation's formatting.
    static func tenths(_ milliseconds: Double) -> String {
        let tenths = Int((milliseconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func emit(_ level: String, _ message: String, fields: [String: JSONValue] = [:]) {
        let line = render(level: level, message: message, requestID: requestID, fields: fields)
        line.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// One line, ending in a newline and holding no other.
    static func render(level: String, message: String, requestID: String?, fields: [String: JSONValue] = [:])
        -> [UInt8]
    {
        switch format {
        case .text:
            var line = Array("ticketsync \(level): ".utf8)
            line.reserveCapacity(line.count + message.utf8.count + 16 + (requestID?.utf8.count ?? 0) + 12)
            escaped(message, into: &line)
            if let requestID {
                line += " request_id=".utf8
                escaped(requestID, into: &line)
            }
            line.append(UInt8(ascii: "\n"))
            return line
        case .json:
            var members = fields
            members["time"] = .fragment(Array(String(Date().timeIntervalSince1970).utf8))
            members["level"] = .string(level)
            members["message"] = .string(message)
            if let requestID { members["request_id"] = .string(requestID) }
            return JSONValue.object(members).serialized() + [UInt8(ascii: "\n")]
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Control characters (a newline in a decoded path, say) as `\n`, `\r`, `\t` or `\xHH`, and `\` as `\\`.
    static func escaped(_ text: String, into line: inout [UInt8]) {
        // Nearly every line has nothing to escape: one scan of its bytes, then one copy (this runs for every request).
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") { return false }
            line.append(contentsOf: bytes)
            return true
        }
        if plain == true { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): line += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: line += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: line += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: line += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20, 0x7F:
                line += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: line.append(byte)
            }
        }
    }
}
