import TicketSyncPlatform

/// One worker thread's database connection: opened lazily, reopened after a failure,
/// and reported as 503 while the database is unreachable.
public final class WorkerDatabase {
    private let conninfo: String
    private let limits: PGSessionLimits
    private var current: PGConnection?
    /// This worker's round trips and database time, across reconnects.
    public let meter = PGMeter()

    public init(conninfo: String, limits: PGSessionLimits = PGSessionLimits()) {
        self.conninfo = conninfo
        self.limits = limits
    }

    public func connection() throws -> PGConnection {
        do {
            // A dropped session (see `PGConnection.dropSession`) is replaced by a new one.
            if let current, !current.isDropped {
                try current.prepareForRequest()
                return current
            }
            let fresh = try PGConnection(conninfo: conninfo, limits: limits, meter: meter)
            current = fresh
            return fresh
        } catch let error as PGError where error.kind == .unavailable {
            current = nil
            throw APIError.databaseUnavailable()
        }
    }

    public func close() { current = nil }

    /// A token whose last use should be recorded once this request's answer has gone out.
    var tokenToTouch: String?

    /// Writes what waits for the answer to be sent: the token's `last_used_at` (at most once a minute per token,
    /// off the request's own time). A failure is logged, never answered.
    public func runDeferredWrites() {
        guard let token = tokenToTouch else { return }
        tokenToTouch = nil
        do { try AuthStore(db: try connection()).recordUse(tokenID: TokenID(token)) } catch {
            ServerLog.warning("could not record a token's last use: \(error)")
        }
    }
}
