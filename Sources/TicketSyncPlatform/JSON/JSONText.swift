/// Text for the JSON writer: a Swift string, or UTF-8 bytes read straight from a libpq result (valid while the rows
/// that hold the result live), so bulk reads write JSON without making a `String` per value.
public enum JSONText {
    case string(String)
    case utf8(UnsafeBufferPointer<UInt8>)

    @inlinable public init?(_ bytes: UnsafeRawBufferPointer?) {
        guard let bytes else { return nil }
        self = .utf8(bytes.bindMemory(to: UInt8.self))
    }

    /// As a JSON string, escaped.
    @inlinable func writeString(into out: inout [UInt8]) {
        switch self {
        case .string(let text): JSONValue.writeString(text, into: &out)
        case .utf8(let bytes): JSONValue.writeString(utf8: bytes, into: &out)
        }
    }

    /// As is: for a number the database or `String(Int)` already wrote.
    @inlinable func writeRaw(into out: inout [UInt8]) {
        switch self {
        case .string(let text): out.append(contentsOf: text.utf8)
        case .utf8(let bytes): out.append(contentsOf: bytes)
        }
    }

    @inlinable public func equals(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { expected in
            switch self {
            case .string(let text): text.utf8.elementsEqual(expected)
            case .utf8(let bytes): bytes.elementsEqual(expected)
            }
        }
    }
}
