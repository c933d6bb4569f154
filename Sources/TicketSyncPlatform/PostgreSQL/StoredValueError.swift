/// A value read back from the database that does not parse (an unknown kind or state, a JSON column that is not
/// JSON): the row is corrupt or was written by something else. It is an error of its own, logged with the column,
/// never replaced by a default that would hide it.
public struct StoredValueError: Error, CustomStringConvertible {
    public let column: String
    public let value: String

    public init(_ column: String, _ value: String) {
        self.column = column
        self.value = String(value.prefix(80))
    }

    public var description: String { "the stored \(column) '\(value)' does not parse" }
}

extension PGRow {
    /// A column parsed by `parse`; a value it refuses throws `StoredValueError` naming the column.
    public func parsed<T>(_ name: String, _ parse: (String) -> T?) throws -> T {
        let text = string(name)
        guard let value = parse(text) else { throw StoredValueError(name, text) }
        return value
    }

    /// A JSON column; null (or absent) is nil, text that is not JSON throws.
    public func json(_ name: String) throws -> JSONValue? {
        guard let text = self[name] else { return nil }
        guard let value = try? JSONParser.parse(Array(text.utf8)) else { throw StoredValueError(name, text) }
        return value
    }
}
