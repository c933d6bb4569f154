import CLibPQ
import Synchronization

/// One statement and its parameters, for `PGConnection.pipeline`.
public struct PGStatement {
    public let sql: String
    public let params: [String?]

    public init(_ sql: String, _ params: [String?] = []) {
        self.sql = sql
        self.params = params
    }
}

/// A statement's identity for the prepared-statement cache, made once per statement text (a static value): finding
/// its prepared name is then a probe on an integer, not a hash of the text (the authorization statement is 1.5 KB).
public struct PGStatementKey: Hashable, Sendable {
    let id: Int
    private static let next = Atomic<Int>(0)

    public init() { id = Self.next.add(1, ordering: .relaxed).newValue }
}

extension PGConnection {
    /// Runs one statement whose text never changes for `key` (see `query(_:_:)`).
    @discardableResult
    public func query(_ sql: String, _ params: [String?], key: PGStatementKey) throws -> PGRows {
        guard usesPreparedStatements, let name = preparedByKey[key] else {
            let rows = try query(sql, params)
            if usesPreparedStatements { preparedByKey[key] = prepared[sql] }
            return rows
        }
        return try recoveringFromPooler({ try execute(prepared: name, params) }, then: { try self.query(sql, params) })
    }

    /// Runs one statement (see `query(_:_:)`).
    @discardableResult
    public func query(_ statement: PGStatement) throws -> PGRows { try query(statement.sql, statement.params) }

    /// Sends the statements together and waits once (libpq pipeline mode): one round trip. Outside an explicit
    /// BEGIN they run in one implicit transaction, so they all take effect or none does. Statements not yet prepared
    /// on this session are prepared in the same round trip. Returns each statement's rows; throws the first failure.
    public func pipeline(_ statements: [PGStatement]) throws -> [PGRows] {
        let run = { try self.meter.measure { try self.sendAndRead(statements) } }
        return try recoveringFromPooler(run, then: run)
    }

    private enum Step {
        case prepare(sql: String, name: String)
        case statement
    }

    private func sendAndRead(_ statements: [PGStatement]) throws -> [PGRows] {
        guard PQenterPipelineMode(handle) == 1 else { throw error(of: nil) }
        defer {
            // Left with results unread (a send failed midway), the session cannot serve anything else: drop it, and
            // the worker opens a new one for its next statement.
            if PQexitPipelineMode(handle) == 0 { dropSession() }
        }
        var steps: [Step] = []
        var preparing: [String: String] = [:]
        for statement in statements {
            let count = Int32(statement.params.count)
            var name = usesPreparedStatements ? prepared[statement.sql] ?? preparing[statement.sql] : nil
            if usesPreparedStatements, name == nil, prepared.count + preparing.count < Self.maxPrepared {
                let fresh = "ts\(prepared.count + preparing.count + 1)"
                guard PQsendPrepare(handle, fresh, limits.hostSchema.resolve(statement.sql), count, nil) == 1 else {
                    throw error(of: nil)
                }
                steps.append(.prepare(sql: statement.sql, name: fresh))
                preparing[statement.sql] = fresh
                name = fresh
            }
            let sent = withCStrings(statement.params) { values in
                if let name { return PQsendQueryPrepared(handle, name, count, values, nil, nil, 0) }
                return PQsendQueryParams(
                    handle, limits.hostSchema.resolve(statement.sql), count, nil, values, nil, nil, 0)
            }
            guard sent == 1 else { throw error(of: nil) }
            steps.append(.statement)
        }
        guard PQpipelineSync(handle) == 1 else { throw error(of: nil) }

        var rows: [PGRows] = []
        var failure: PGError?
        // Each step yields its results, then NULL; a step after a failure yields PGRES_PIPELINE_ABORTED.
        for step in steps {
            while let result = PQgetResult(handle) {
                switch PQresultStatus(result) {
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                    switch step {
                    case .prepare(let sql, let name):
                        prepared[sql] = name
                        PQclear(result)
                    case .statement: rows.append(PGRows(taking: result))  // the rows own the result now
                    }
                case PGRES_PIPELINE_ABORTED: PQclear(result)
                default:
                    failure = failure ?? error(of: result)
                    PQclear(result)
                }
            }
        }
        // The sync point closes the pipeline (and the implicit transaction).
        if let sync = PQgetResult(handle) { PQclear(sync) }
        if let failure { throw failure }
        guard rows.count == statements.count else { throw error(of: nil) }
        return rows
    }
}

extension [PGRows] {
    /// The result of the pipeline's statement at `index`: an error, never a trap, should there be none.
    public func at(_ index: Int) throws -> PGRows {
        guard indices.contains(index) else {
            throw PGError(kind: .server(.noData), message: "no result for statement \(index) of the pipeline")
        }
        return self[index]
    }
}
