import CLibPQ

/// The rows of a result, copied into Swift strings so the PGresult can be freed at once.
public struct PGRows: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    /// Column name → position, built once per result and shared by its rows.
    let positions: [String: Int]
    /// PQcmdTuples: rows inserted, updated or deleted.
    public let affected: Int

    init(result: OpaquePointer?) {
        let width = Int(PQnfields(result))
        let height = Int(PQntuples(result))
        columns = (0..<width).map { String(cString: PQfname(result, Int32($0))) }
        positions = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        rows = (0..<height).map { row in
            (0..<width).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        affected = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public var first: PGRow? { rows.first.map { PGRow(positions: positions, values: $0) } }

    /// The one row a statement must return (`INSERT … RETURNING`, `nextval`); an error, never a trap, when it has none.
    public func single(_ what: String) throws -> PGRow {
        guard let row = first else { throw PGError(kind: .server(.noData), message: "no row returned: \(what)") }
        return row
    }
    public var all: [PGRow] { rows.map { PGRow(positions: positions, values: $0) } }
}

/// One row, read by column name.
public struct PGRow: Sendable {
    let positions: [String: Int]
    let values: [String?]

    public subscript(_ name: String) -> String? {
        guard let index = positions[name] else { return nil }
        return values[index]
    }

    public func string(_ name: String) -> String { self[name] ?? "" }
    public func int(_ name: String) -> Int { self[name].flatMap { Int($0) } ?? 0 }
    public func bool(_ name: String) -> Bool { self[name] == "t" }
}
