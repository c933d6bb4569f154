extension PGStatement {
    /// Sent first in a pipeline (one round trip, one transaction): the prepared statements after it run their
    /// generic plan instead of being planned again on every call. PostgreSQL's plan cache keeps choosing a fresh
    /// custom plan for a statement whose generic plan it estimates dearer — a claim of the delivery loops, or a
    /// page with `LIMIT $n` over a large table (for a generic plan the limit is unknown: the estimate reads a tenth
    /// of the rows) — and planning them cost more than running them (docs/performance.md, "Planning"). The plans
    /// forced this way are the index plans ScalePlanTests checks; sequential scans are off while they are made,
    /// because a generic plan is kept for the session: made while a table was still nearly empty (a new deployment,
    /// the soak's first seconds) it scanned the whole outbox on every claim once the table had grown, until
    /// autovacuum's next ANALYZE (claims ran into the statement timeout and the queue grew for 80 s). Local to the
    /// transaction (`set_config(…, true)`): nothing else on the connection, or on a pooler's server connection, is
    /// affected.
    public static var genericPlans: PGStatement {
        PGStatement(
            "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)"
        )
    }
}
