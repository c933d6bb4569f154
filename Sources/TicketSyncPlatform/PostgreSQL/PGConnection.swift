import CLibPQ
import Foundation

/// One libpq connection. Not shared between threads: every FastCGI worker owns its own.
/// Statements are prepared once per connection (named `ts1`, `ts2`…, keyed by their text) unless the limits turn
/// prepared statements off (PgBouncer before 1.21 in transaction mode cannot carry them); every call is one round
/// trip, counted by `meter`.
public final class PGConnection {
    var handle: OpaquePointer?
    public let conninfo: String
    public let limits: PGSessionLimits
    public let meter: PGMeter
    /// Statement text → the name it was prepared under on this session (emptied when the session is re-made).
    var prepared: [String: String] = [:]
    /// The same names by `PGStatementKey`, for statements that carry one.
    var preparedByKey: [PGStatementKey: String] = [:]
    /// A bound on distinct prepared statements: the service's statements are a fixed set, so this is never reached
    /// unless a caller builds SQL from data; beyond it statements simply run unprepared.
    static let maxPrepared = 512

    /// Connects at once; a failure surfaces as `PGError.unavailable`. `limits` give the connect timeout, keepalives
    /// and the session's statement, lock and idle-in-transaction timeouts (keys set in `conninfo` win).
    public init(conninfo: String, limits: PGSessionLimits = PGSessionLimits(), meter: PGMeter = PGMeter()) throws {
        self.conninfo = conninfo
        self.limits = limits
        self.meter = meter
        // Ours first, then the URL expanded from "dbname": libpq lets later values win.
        let pairs = limits.connectionParameters + [("dbname", conninfo)]
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        handle = (keys + [nil]).map { UnsafePointer($0) }.withUnsafeBufferPointer { keywords in
            (values + [nil]).map { UnsafePointer($0) }.withUnsafeBufferPointer { settings in
                PQconnectdbParams(keywords.baseAddress, settings.baseAddress, 1)
            }
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(of: handle)
            PQfinish(handle)
            handle = nil
            throw PGError(kind: .unavailable, message: message)
        }
        try meter.connecting { try execute(sessionSetup) }
    }

    deinit { PQfinish(handle) }

    /// Run on every new session: a name for pg_stat_activity, no NOTICE chatter on stderr, the ISO date style
    /// `PGTimestamp` reads (PgBouncer keeps DateStyle per client), and the search path pinned to the host schema
    /// (see `HostSchema`: host tables are qualified in every statement as well, since a transaction pooler does not
    /// keep a session's SET).
    var sessionSetup: String {
        "SET application_name = 'ticketsync'; SET client_min_messages = warning; SET DateStyle = 'ISO, MDY'; "
            + limits.sessionSQL + "; " + limits.hostSchema.searchPathSQL()
    }

    public var isConnected: Bool { handle != nil && PQstatus(handle) == CONNECTION_OK }

    /// Closed by `dropSession`: the worker makes a new connection.
    public var isDropped: Bool { handle == nil }

    /// Closes a session left in a state no statement can use; `prepareForRequest` then reports it unavailable.
    func dropSession() {
        PQfinish(handle)
        handle = nil
        prepared = [:]
        preparedByKey = [:]
    }

    /// Reconnects a broken connection and leaves any transaction a previous request left open.
    public func prepareForRequest() throws {
        // A server that restarted (or closed an idle session) has left EOF on the socket: reading what is pending
        // marks the connection bad now, so it is re-made here instead of failing the request's first statement.
        // (The server's last words and its EOF may take two reads; nothing is waited for.)
        for _ in 0..<3 where handle != nil && PQstatus(handle) == CONNECTION_OK {
            var pending = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard poll(&pending, 1, 0) > 0 else { break }
            if PQconsumeInput(handle) == 0 { break }
        }
        guard handle != nil else { throw PGError(kind: .unavailable, message: "the session was closed") }
        if !isConnected {
            prepared = [:]  // a new session knows none of them
            preparedByKey = [:]
            try meter.connecting {
                PQreset(handle)
                guard PQstatus(handle) == CONNECTION_OK else {
                    throw PGError(kind: .unavailable, message: Self.message(of: handle))
                }
                try execute(sessionSetup)
            }
        }
        if PQtransactionStatus(handle) != PQTRANS_IDLE {
            try execute("ROLLBACK")
        }
    }

    /// Runs one parameterised statement (text parameters and results): prepared on first use when prepared
    /// statements are on (the preparation travels with the first execution: still one round trip).
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = []) throws -> PGRows {
        guard usesPreparedStatements else {
            return try meter.measure {
                try withCStrings(params) { values in
                    try consume(
                        PQexecParams(
                            handle, limits.hostSchema.resolve(sql), Int32(params.count), nil, values, nil, nil, 0))
                }
            }
        }
        guard let name = prepared[sql] else { return try pipeline([PGStatement(sql, params)]).at(0) }
        return try recoveringFromPooler({ try execute(prepared: name, params) }, then: { try self.query(sql, params) })
    }

    /// Runs a statement prepared on this session under `name`: one round trip.
    func execute(prepared name: String, _ params: [String?]) throws -> PGRows {
        try meter.measure {
            try withCStrings(params) { values in
                try consume(PQexecPrepared(handle, name, Int32(params.count), values, nil, nil, 0))
            }
        }
    }

    /// Runs a script of one or more statements without parameters (migrations, BEGIN/COMMIT).
    @discardableResult
    public func execute(_ sql: String) throws -> PGRows {
        try meter.measure { try consume(PQexec(handle, limits.hostSchema.resolve(sql))) }
    }

    /// Ends a transaction a failure left open (nothing to do outside one, or without a connection).
    public func rollbackIfInTransaction() {
        guard isConnected, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        _ = try? execute("ROLLBACK")
    }

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isConnected { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The rows of a result (which they then own), or its error (the result freed).
    func consume(_ result: OpaquePointer?) throws -> PGRows {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PGRows(taking: result)
        default:
            defer { PQclear(result) }
            throw error(of: result)
        }
    }

    /// What a failed result (or a lost connection) means, as a `PGError`.
    func error(of result: OpaquePointer?) -> PGError {
        guard PQstatus(handle) == CONNECTION_OK, result != nil else {
            return PGError(kind: .unavailable, message: Self.message(of: handle))
        }
        let sqlstate = Self.field(result, clibpq_diag_sqlstate()).map(SQLState.init(rawValue:))
        return PGError(
            kind: .server(sqlstate ?? .unknown),
            message: Self.field(result, clibpq_diag_message_primary()) ?? Self.message(of: handle),
            constraint: Self.field(result, clibpq_diag_constraint_name())
        )
    }

    /// The parameters as C strings for one libpq call (NULL for SQL NULL), freed afterwards.
    func withCStrings<T>(_ params: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> T) rethrows
        -> T
    {
        let copies: [UnsafeMutablePointer<CChar>?] = params.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        return try copies.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { try body($0.baseAddress) }
        }
    }

    private static func field(_ result: OpaquePointer?, _ code: Int32) -> String? {
        PQresultErrorField(result, code).map { String(cString: $0) }
    }

    static func message(of handle: OpaquePointer?) -> String {
        guard let text = PQerrorMessage(handle) else { return "no connection" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
