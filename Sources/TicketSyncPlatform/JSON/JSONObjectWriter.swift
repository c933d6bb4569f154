/// Writes one JSON object straight into bytes, for values a route renders in bulk (a comment thread), where building
/// a `JSONValue` tree per row cost more than the database. Fields must come in key order (UTF-8 byte order), the order
/// `JSONValue` writes objects in, so both produce the same bytes. Inlinable: a route calls it for every field of
/// every row, and inlined into the route (as when it was one module) it costs fewer instructions and allocations.
public struct JSONObjectWriter {
    @usableFromInline var bytes: [UInt8] = [UInt8(ascii: "{")]

    @inlinable public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    @inlinable mutating func key(_ name: StaticString) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        // Two single appends: an array literal here cost a generic append per key (140 keys per thread page).
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    @inlinable public mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        JSONValue.writeString(value, into: &bytes)
    }

    @inlinable public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else {
            key(name)
            bytes.append(contentsOf: "null".utf8)
            return
        }
        field(name, value)
    }

    /// A string value (null when nil).
    @inlinable public mutating func field(_ name: StaticString, _ value: JSONText?) {
        key(name)
        guard let value else { return bytes.append(contentsOf: "null".utf8) }
        value.writeString(into: &bytes)
    }

    /// A number already written as text (an id as the database returned it).
    @inlinable public mutating func field(_ name: StaticString, number: JSONText) {
        key(name)
        number.writeRaw(into: &bytes)
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    @inlinable public consuming func finish() -> JSONValue {
        bytes.append(UInt8(ascii: "}"))
        return .fragment(bytes)
    }
}
