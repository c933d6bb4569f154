import TicketSyncPlatform

/// Reading stored kinds and states: parsed when read, so a value that does not parse is a `StoredValueError` naming
/// its column, never a silent default.
extension PGRow {
    /// A nullable column: null (or absent) is nil; any other value must parse.
    func parsedIfPresent<T>(_ name: String, _ parse: (String) -> T?) throws -> T? {
        guard let text = self[name] else { return nil }
        guard let value = parse(text) else { throw StoredValueError(name, text) }
        return value
    }
}

extension JSONText {
    /// The text as a `String`, for an error that quotes it.
    var text: String {
        switch self {
        case .string(let text): text
        case .utf8(let bytes): String(decoding: bytes, as: UTF8.self)
        }
    }
}
