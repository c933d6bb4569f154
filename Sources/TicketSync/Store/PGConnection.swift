import CLibPQ
import Foundation

/// One libpq connection. Not shared between threads: every FastCGI worker owns its own.
public final class PGConnection {
    private var handle: OpaquePointer?
    public let conninfo: String
    let limits: PGSessionLimits

    /// Connects at once; a failure surfaces as `PGError.unavailable`. `limits` give the connect timeout, keepalives
    /// and the session's statement, lock and idle-in-transaction timeouts (keys set in `conninfo` win).
    public init(conninfo: String, limits: PGSessionLimits = PGSessionLimits()) throws {
        self.conninfo = conninfo
        self.limits = limits
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
        try execute(sessionSetup)
    }

    deinit { PQfinish(handle) }

    /// Run on every new session: a name for pg_stat_activity, and no NOTICE chatter on stderr.
    var sessionSetup: String {
        "SET application_name = 'ticketsync'; SET client_min_messages = warning; " + limits.sessionSQL
    }

    public var isConnected: Bool { handle != nil && PQstatus(handle) == CONNECTION_OK }

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
        if !isConnected {
            PQreset(handle)
            guard PQstatus(handle) == CONNECTION_OK else {
                throw PGError(kind: .unavailable, message: Self.message(of: handle))
            }
            try execute(sessionSetup)
        }
        if PQtransactionStatus(handle) != PQTRANS_IDLE {
            try execute("ROLLBACK")
        }
    }

    /// Runs one parameterised statement (PQexecParams, text parameters and results).
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = []) throws -> PGRows {
        let copies: [UnsafeMutablePointer<CChar>?] = params.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        let result: OpaquePointer? = copies.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(handle, sql, Int32(params.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        return try consume(result)
    }

    /// Runs a script of one or more statements without parameters (migrations, BEGIN/COMMIT).
    @discardableResult
    public func execute(_ sql: String) throws -> PGRows {
        try consume(PQexec(handle, sql))
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

    private func consume(_ result: OpaquePointer?) throws -> PGRows {
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PGRows(result: result)
        default:
            guard PQstatus(handle) == CONNECTION_OK else {
                throw PGError(kind: .unavailable, message: Self.message(of: handle))
            }
            let sqlstate = Self.field(result, clibpq_diag_sqlstate()).map(SQLState.init(rawValue:))
            throw PGError(
                kind: .server(sqlstate ?? .unknown),
                message: Self.field(result, clibpq_diag_message_primary()) ?? Self.message(of: handle),
                constraint: Self.field(result, clibpq_diag_constraint_name())
            )
        }
    }

    private static func field(_ result: OpaquePointer?, _ code: Int32) -> String? {
        PQresultErrorField(result, code).map { String(cString: $0) }
    }

    private static func message(of handle: OpaquePointer?) -> String {
        guard let text = PQerrorMessage(handle) else { return "no connection" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
