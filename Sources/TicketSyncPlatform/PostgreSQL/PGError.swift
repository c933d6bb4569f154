/// A PostgreSQL failure: the server is unreachable, or it rejected a statement with a SQLSTATE.
public struct PGError: Error, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// No connection could be made, or it was lost: the request answers 503.
        case unavailable
        case server(SQLState)
    }

    public let kind: Kind
    public let message: String
    public var constraint: String? = nil

    public var sqlstate: SQLState? {
        if case .server(let state) = kind { return state }
        return nil
    }

    public var description: String { "\(kind): \(message)" }
}

/// SQLSTATE codes the service reacts to, as named values (the list is open: unknown codes pass through).
public struct SQLState: RawRepresentable, Equatable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let unknown = SQLState(rawValue: "")
    /// Not from the server: a statement that must return a row returned none.
    public static let noData = SQLState(rawValue: "02000")
    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    /// lock_timeout ran out.
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    /// statement_timeout ran out (or the statement was cancelled).
    public static let queryCanceled = SQLState(rawValue: "57014")
    /// idle_in_transaction_session_timeout ended the session.
    public static let idleInTransactionTimeout = SQLState(rawValue: "25P03")

    /// The database is busy or unreachable rather than the request wrong: answered 503 with Retry-After.
    public var isTransient: Bool {
        [
            .lockNotAvailable, .queryCanceled, .idleInTransactionTimeout, .adminShutdown, .cannotConnectNow,
            .serializationFailure, .deadlockDetected,
        ].contains(self)
    }
}
