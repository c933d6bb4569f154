import TicketSyncPlatform

/// A sweep row (`ticket_sync.sync_sweeps`) as the API shows it: a connection's `last_sweep`, and each sweep of the
/// health view. Written as SQL so that the connection reads and the health view read it in their own statement.
enum SweepState {
    /// What a deployment-default row says instead of the tracker's words: that row is swept for every org using the
    /// deployment default, and a look-up's error may name another org's ticket.
    /// (No quote marks: it is written into the SQL as a literal.)
    static let sharedError = "The last sweep of the deployment default failed; the service log has the tracker answer."

    /// `{"started_at", "finished_at", "changes", "error", "sweepable", "next_at"}` of the row aliased `s`, as json.
    /// A deployment-default row (`shared`) is the deployment's, not the org's: its `changes` (counted over every
    /// org) is null and a failure is told without the tracker's words (`sharedError`), unless it cannot be swept.
    static func object(_ s: String, shared: Bool = false) -> String {
        let error =
            shared
            ? "CASE WHEN \(s).error IS NULL OR NOT \(s).sweepable THEN \(s).error ELSE '\(sharedError)' END"
            : "\(s).error"
        return """
            json_build_object('started_at', \(SQLFragments.timestamp("\(s).started_at")),
                              'finished_at', \(SQLFragments.timestamp("\(s).finished_at")),
                              'changes', \(shared ? "NULL::int" : "\(s).changes"), 'error', \(error),
                              'sweepable', \(s).sweepable, 'next_at', \(SQLFragments.timestamp("\(s).due_at")))
            """
    }

    /// A connection's last sweep as json text, or null before its first sweep started.
    static func lastSweep(_ connectionID: String) -> String {
        """
        (SELECT \(object("sw")) FROM ticket_sync.sync_sweeps sw
         WHERE sw.connection_id = \(connectionID) AND sw.started_at IS NOT NULL)::text
        """
    }
}
