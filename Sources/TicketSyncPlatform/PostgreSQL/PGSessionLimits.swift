/// How long the service waits on PostgreSQL, so a lock held by another service on the shared database (or a lost
/// network path) yields a quick 503 instead of a hung worker. Connect timeout and TCP keepalives are libpq
/// connection parameters (client-side, so they pass through PgBouncer); the three timeouts are set on each session.
public struct PGSessionLimits: Sendable, Equatable {
    /// TICKETSYNC_DB_CONNECT_TIMEOUT_S: libpq's connect_timeout.
    public var connectTimeoutSeconds = 5
    /// TICKETSYNC_DB_STATEMENT_TIMEOUT_MS: no statement runs longer.
    public var statementTimeoutMilliseconds = 5000
    /// TICKETSYNC_DB_LOCK_TIMEOUT_MS: no statement waits longer for a lock.
    public var lockTimeoutMilliseconds = 2000
    /// TICKETSYNC_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: a transaction left idle is ended by the server.
    public var idleInTransactionTimeoutMilliseconds = 10_000
    /// TICKETSYNC_DB_PREPARED_STATEMENTS (on): prepare each statement once per connection. Off for a pooler that
    /// cannot carry prepared statements between transactions (PgBouncer before 1.21, or without
    /// max_prepared_statements, in transaction mode): statements then run unnamed, planned every time.
    public var preparedStatements = true
    /// TICKETSYNC_HOST_SCHEMA (public): where the host's shared tables are; every statement names it.
    public var hostSchema = HostSchema.standard

    public init() {}

    /// For administrative commands (`migrate`, `keys rotate`, `token`…): no statement or lock timeout, since a
    /// migration may legitimately wait for another migrator's advisory lock or build an index for a while.
    public static let administrative: PGSessionLimits = {
        var limits = PGSessionLimits()
        limits.statementTimeoutMilliseconds = 0
        limits.lockTimeoutMilliseconds = 0
        limits.idleInTransactionTimeoutMilliseconds = 0
        limits.preparedStatements = false  // one-off statements: nothing to gain from preparing them
        return limits
    }()

    /// Connection parameters given to libpq besides the URL, as defaults: the same keys in DATABASE_URL win.
    var connectionParameters: [(String, String)] {
        [
            ("connect_timeout", String(connectTimeoutSeconds)), ("keepalives", "1"), ("keepalives_idle", "30"),
            ("keepalives_interval", "10"), ("keepalives_count", "3"),
            // Values are copied into JSON as the server sends them: always UTF-8, whatever the database's encoding.
            ("client_encoding", "UTF8"),
        ]
    }

    /// Run on every new session (after the name and message level).
    var sessionSQL: String {
        "SET statement_timeout = \(statementTimeoutMilliseconds); SET lock_timeout = \(lockTimeoutMilliseconds); "
            + "SET idle_in_transaction_session_timeout = \(idleInTransactionTimeoutMilliseconds)"
    }
}
