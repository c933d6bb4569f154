import Foundation
import TicketSyncPlatform

/// `limit` and opaque cursors of paginated reads: base64url of a small JSON object, refused (400) unless it is one
/// this API handed out.
enum PageQuery {
    static func limit(_ query: [String: String], default fallback: Int, max maximum: Int) throws -> Int {
        guard let raw = query["limit"] else { return fallback }
        guard let value = Int(raw), (1...maximum).contains(value) else {
            throw APIError(
                400, "invalid-parameter", "`limit` must be a whole number from 1 to \(maximum).",
                extensions: ["parameter": .string("limit")])
        }
        return value
    }

    static func invalid(_ name: String) -> APIError {
        APIError(
            400, "invalid-parameter", "`\(name)` is not one this API returned.",
            extensions: ["parameter": .string(name)])
    }

    static func encode(_ members: [String: JSONValue]) -> String {
        Base64URL.encode(JSONValue.object(members).serialized())
    }

    static func decode(_ encoded: String) -> [String: JSONValue]? {
        guard let bytes = Base64URL.decode(encoded), case .object(let members)? = try? JSONParser.parse(bytes) else {
            return nil
        }
        return members
    }
}

/// A position in a comment thread: (created_at, id), the thread's order.
struct ThreadPosition: Equatable {
    let createdAt: String
    let id: Int

    init(_ comment: Comment) {
        self.init(createdAt: comment.createdAt, id: comment.id)
    }

    init(createdAt: String, id: Int) {
        self.createdAt = createdAt
        self.id = id
    }

    init?(encoded: String) {
        guard let members = PageQuery.decode(encoded), let time = members["t"]?.stringValue,
            Self.isTimestamp(time), let id = members["i"].flatMap(Self.whole), id > 0
        else { return nil }
        createdAt = time
        self.id = id
    }

    var encoded: String { PageQuery.encode(["t": .string(createdAt), "i": .int(id)]) }

    private static func whole(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let number): number
        case .number(let number): Int(exactly: number)
        default: nil
        }
    }

    /// The timestamps the API writes (`2026-01-02T03:04:05.123456Z`), real ones, and nothing else, reach the database.
    static func isTimestamp(_ text: String) -> Bool { PGTimestamp.isAPIText(text) }
}
