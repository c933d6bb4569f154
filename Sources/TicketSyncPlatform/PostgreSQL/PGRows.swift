import CLibPQ
import Glibc

/// A libpq result, freed when the last row read from it goes. Values are read from it only when asked for, so a
/// column nobody reads (the authorization's columns on every row of a thread) costs nothing. Immutable once made:
/// libpq allows reading one result from several threads.
final class PGResult: @unchecked Sendable {
    let handle: OpaquePointer
    let width: Int32
    let height: Int32

    init(taking handle: OpaquePointer) {
        self.handle = handle
        width = PQnfields(handle)
        height = PQntuples(handle)
    }

    deinit { PQclear(handle) }

    /// The position of a column (the first of that name), by comparing the C strings: no allocation, no hashing.
    func column(_ name: String) -> Int32? {
        name.withCString { wanted in
            var index: Int32 = 0
            while index < width {
                // The first byte rules out most columns without a call to strcmp.
                if let field = PQfname(handle, index), field.pointee == wanted.pointee, strcmp(field, wanted) == 0 {
                    return index
                }
                index += 1
            }
            return nil
        }
    }

    func value(row: Int32, column: Int32) -> String? {
        PQgetisnull(handle, row, column) == 1 ? nil : String(cString: PQgetvalue(handle, row, column))
    }

    /// The raw bytes of a value (valid while this result lives), for writing JSON straight from the row.
    func bytes(row: Int32, column: Int32) -> UnsafeRawBufferPointer? {
        guard PQgetisnull(handle, row, column) == 0, let start = PQgetvalue(handle, row, column) else { return nil }
        return UnsafeRawBufferPointer(start: start, count: Int(PQgetlength(handle, row, column)))
    }
}

/// The rows of a result, read by column name.
public struct PGRows: Sendable {
    let result: PGResult?
    /// PQcmdTuples: rows inserted, updated or deleted.
    public let affected: Int

    /// Takes ownership of `result` (freed with the last row read from it).
    init(taking result: OpaquePointer?) {
        self.result = result.map(PGResult.init(taking:))
        affected = result.flatMap { Int(String(cString: PQcmdTuples($0))) } ?? 0
    }

    public var count: Int { Int(result?.height ?? 0) }

    public var first: PGRow? {
        guard let result, result.height > 0 else { return nil }
        return PGRow(result: result, index: 0)
    }

    /// The one row a statement must return (`INSERT … RETURNING`, `nextval`); an error, never a trap, when it has none.
    public func single(_ what: String) throws -> PGRow {
        guard let row = first else { throw PGError(kind: .server(.noData), message: "no row returned: \(what)") }
        return row
    }

    public var all: [PGRow] {
        guard let result else { return [] }
        return (0..<result.height).map { PGRow(result: result, index: $0) }
    }
}

/// One row, read by column name.
public struct PGRow: Sendable {
    let result: PGResult
    let index: Int32

    public subscript(_ name: String) -> String? {
        guard let column = result.column(name) else { return nil }
        return result.value(row: index, column: column)
    }

    /// Whether the column is there and not NULL, without reading its value.
    public func has(_ name: String) -> Bool {
        guard let column = result.column(name) else { return false }
        return PQgetisnull(result.handle, index, column) == 0
    }

    /// The raw UTF-8 bytes of a value (nil for NULL or a missing column), valid while the row is held.
    func bytes(_ name: String) -> UnsafeRawBufferPointer? {
        result.column(name).flatMap { result.bytes(row: index, column: $0) }
    }

    /// A column's position, to read many rows of one result without looking the name up for each.
    public func column(_ name: String) -> Int32? { result.column(name) }

    /// The raw bytes at a position from `column(_:)` (nil for NULL or no such column), valid while the row is held.
    public func bytes(at column: Int32?) -> UnsafeRawBufferPointer? {
        column.flatMap { result.bytes(row: index, column: $0) }
    }

    /// The value at a position from `column(_:)` (nil for NULL or no such column).
    public func value(at column: Int32?) -> String? { column.flatMap { result.value(row: index, column: $0) } }

    public func string(_ name: String) -> String { self[name] ?? "" }
    public func int(_ name: String) -> Int { self[name].flatMap { Int($0) } ?? 0 }
    public func bool(_ name: String) -> Bool { self[name] == "t" }
}
