import CLibPQ
import Synchronization

/// A pooler that hands one server session to many clients — PgBouncer in transaction mode before 1.21, or later
/// ones with `max_prepared_statements = 0` — makes named prepared statements collide (42P05: another client already
/// prepared `ts1` on that session) or vanish (26000: this client prepared it on another one). Either SQLSTATE, met
/// on one of our named statements, can only mean that: the first one turns prepared statements off for the whole
/// process, said once in the log, as `TICKETSYNC_DB_PREPARED_STATEMENTS=off` would. The statement that met it runs
/// again unprepared when nothing else depended on it (outside an explicit transaction); inside one, the transaction
/// is already aborted, so it fails as unavailable (503 with Retry-After) and the next attempt runs unprepared.
public enum PreparedStatementPooling {
    private static let seen = Atomic<Bool>(false)

    /// A pooler that cannot carry prepared statements was met by this process.
    public static var detected: Bool { seen.load(ordering: .relaxed) }

    static func note(_ state: SQLState) {
        guard !seen.exchange(true, ordering: .relaxed) else { return }
        ServerLog.warning(
            "the database connection goes through a pooler that does not keep prepared statements (SQLSTATE "
                + "\(state.rawValue), e.g. PgBouncer in transaction mode before 1.21): running without them from now "
                + "on; set TICKETSYNC_DB_PREPARED_STATEMENTS=off to start that way, or PgBouncer's "
                + "max_prepared_statements (1.21 or later) to keep them")
    }

    /// Whether `error` is what such a pooler does to a named prepared statement.
    static func isPoolerLoss(_ error: any Error) -> SQLState? {
        guard let state = (error as? PGError)?.sqlstate,
            state == .duplicatePreparedStatement || state == .invalidStatementName
        else { return nil }
        return state
    }
}

extension SQLState {
    /// A prepared statement of that name already exists on the server session.
    public static let duplicatePreparedStatement = SQLState(rawValue: "42P05")
    /// No prepared statement of that name on the server session.
    public static let invalidStatementName = SQLState(rawValue: "26000")
}

extension PGConnection {
    /// Prepared statements are used: the limits ask for them and no pooler has been met that loses them.
    var usesPreparedStatements: Bool { limits.preparedStatements && !PreparedStatementPooling.detected }

    /// Runs `attempt` (which may use named statements); when a pooler loses them, turns them off, forgets this
    /// session's names, and runs `retry` (unprepared now) if no explicit transaction is open.
    func recoveringFromPooler<T>(_ attempt: () throws -> T, then retry: () throws -> T) throws -> T {
        do { return try attempt() } catch {
            guard limits.preparedStatements, let state = PreparedStatementPooling.isPoolerLoss(error)
            else { throw error }
            PreparedStatementPooling.note(state)
            prepared = [:]
            preparedByKey = [:]
            guard isConnected, PQtransactionStatus(handle) == PQTRANS_IDLE else {
                throw PGError(
                    kind: .unavailable,
                    message: "a connection pooler dropped a prepared statement inside a transaction; retry")
            }
            return try retry()
        }
    }
}
