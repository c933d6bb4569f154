/// A JSON document. The service writes its own JSON so that output is deterministic:
/// compact, object keys sorted by code point, UTF-8, `/` not escaped (the signing format of outbound events).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// JSON already written as bytes (values rendered in bulk, see `JSONObjectWriter`); written out as is.
    case fragment([UInt8])

    public static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    public subscript(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(into: &out)
        return out
    }

    public var text: String { String(decoding: serialized(), as: UTF8.self) }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .number(let number):
            if abs(number) < 1e15, let whole = Int(exactly: number) {
                out.append(contentsOf: String(whole).utf8)
            } else {
                out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
            }
        case .string(let text): Self.writeString(text, into: &out)
        case .fragment(let bytes): out.append(contentsOf: bytes)
        case .array(let items):
            // Rows rendered in bulk (a thread page's comments) are fragments: room for all of them at once, instead
            // of the buffer doubling (and copying) several times on the way.
            var fragments = 0
            for case .fragment(let bytes) in items { fragments += bytes.count + 1 }
            if fragments > 0 { out.reserveCapacity(out.count + fragments + 256) }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // UTF-8 byte order is code point order: the same order as Python's sort_keys, and much cheaper.
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Whether any of eight bytes is a control character, `"` or `\\` (the classic SWAR zero-byte tests).
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        let below32 = (word &- ones &* 0x20) & ~word & highs != 0
        return below32 || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C))
    }

    @usableFromInline static func writeString(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { writeString(utf8: $0, into: &out) }
    }

    /// A string from UTF-8 bytes (a libpq value, say), escaped as `writeString` does.
    @usableFromInline static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Copy runs that need no escaping in one go; escape the rest byte by byte. Eight bytes at a time are
        // skipped while none of them needs escaping (comment bodies are long runs of plain text).
        var runStart = 0
        var index = 0
        while index < bytes.count {
            // (baseAddress is set: the buffer holds at least eight bytes here.)
            if index + 8 <= bytes.count,
                !needsEscape(
                    UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: UInt64.self))
            {
                index += 8
                continue
            }
            let byte = bytes[index]
            index += 1
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index - 1]))
            runStart = index
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        out.append(UInt8(ascii: "\""))
    }
}
