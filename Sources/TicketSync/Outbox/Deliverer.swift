/// Delivers claimed outbox events through their provider and records what happened, one transaction per outcome.
/// The HTTP call is made with no transaction open and no row lock held: the claim is a lease.
public struct Deliverer {
    let db: PGConnection
    let providers: ProviderRegistry
    let policy: DeliveryPolicy

    public init(db: PGConnection, providers: ProviderRegistry, policy: DeliveryPolicy) {
        self.db = db
        self.providers = providers
        self.policy = policy
    }

    /// One pass of a delivery loop: up to `limit` due events, each claimed just before its attempt (so no claim
    /// waits behind other attempts and outlives its lease: a lease covers one call's whole timeout plus 30 s);
    /// after a success it goes on with the same link's next events while they succeed, so a backlog on one ticket
    /// drains in one pass, in order. Returns how many it attempted. Events younger than `graceSeconds` that were
    /// never attempted are left to the request that wrote them.
    @discardableResult
    public func deliverDue(limit: Int, timeouts: HTTPTimeouts, graceSeconds: Int) throws -> Int {
        var attempted = 0
        for _ in 0..<limit {
            guard
                let event = try OutboxStore(db: db).claim(
                    limit: 1, leaseSeconds: Self.lease(timeouts), graceSeconds: graceSeconds,
                    providers: providers.deliverable
                ).first
            else { break }
            attempted += 1
            guard try attempt(event, timeouts: timeouts).delivered else { continue }
            for _ in 0..<Self.drainLimit {
                guard let next = try claimNext(linkID: event.linkID, timeouts: timeouts) else { break }
                attempted += 1
                guard try attempt(next, timeouts: timeouts).delivered else { break }
            }
        }
        return attempted
    }

    /// The first attempt, made while the API request waits. Does nothing when an earlier event of the same link is
    /// still queued (order first): the delivery loop takes it from there, draining the link in order. Returns the
    /// stored echo, if any. (Helping to deliver the earlier events here was measured: under many writers on one
    /// ticket it cut throughput by a third, so the request stays cheap and the loop does the draining.)
    public func deliverNow(eventID: String, timeouts: HTTPTimeouts) throws -> Comment? {
        guard
            let own = try OutboxStore(db: db).claim(limit: 1, leaseSeconds: Self.lease(timeouts), eventID: eventID)
                .first
        else { return nil }
        return try attempt(own, timeouts: timeouts).echo
    }

    /// Attempts the oldest due event of one link (after a retry was requested).
    public func deliverNext(linkID: String, timeouts: HTTPTimeouts) throws -> Comment? {
        guard let event = try claimNext(linkID: linkID, timeouts: timeouts) else { return nil }
        return try attempt(event, timeouts: timeouts).echo
    }

    /// How many events of one link a single pass delivers back to back.
    static let drainLimit = 64

    private func claimNext(linkID: String, timeouts: HTTPTimeouts) throws -> OutboxEvent? {
        try OutboxStore(db: db).claim(limit: 1, leaseSeconds: Self.lease(timeouts), linkID: linkID).first
    }

    private static func lease(_ timeouts: HTTPTimeouts) -> Int { timeouts.totalSeconds + 30 }

    /// What one attempt came to: whether the provider has the event now, and the echo it stored, if any.
    struct Attempt {
        var delivered: Bool
        var echo: Comment?
    }

    private func attempt(_ event: OutboxEvent, timeouts: HTTPTimeouts) throws -> Attempt {
        let outcome: DeliveryOutcome
        do {
            let config = try providers.config(
                connectionID: event.connectionID, org: event.orgID, kind: event.provider, db: db)
            outcome = try providers.provider(config).deliver(event, timeouts: timeouts)
        } catch let error as APIError {
            // Unconfigured provider, disabled connection, or a secret that does not open: keep the event, try later.
            outcome = .retry(reason: error.problem.detail, status: nil, retryAfter: nil)
        }
        return try record(event, outcome)
    }

    private func record(_ event: OutboxEvent, _ outcome: DeliveryOutcome) throws -> Attempt {
        let outbox = OutboxStore(db: db)
        let comments = CommentStore(db: db)
        return try db.transaction { () throws -> Attempt in
            switch outcome {
            case .delivered(let externalCommentID, let echo):
                guard try outbox.markDelivered(event, status: nil) else { return leaseLost(event) }
                guard let commentID = event.commentID else { return Attempt(delivered: true) }
                _ = try comments.markSynced(
                    org: event.orgID, id: commentID,
                    externalCommentID: externalCommentID ?? Comment.mintedExternalID(commentID))
                let stored = try echo.flatMap {
                    try comments.insertExternal(
                        org: event.orgID, request: event.evidenceRequestID, author: $0.author,
                        body: $0.body, externalCommentID: $0.externalCommentID)
                }
                return Attempt(delivered: true, echo: stored)
            case .retry(let reason, let status, let retryAfter) where !policy.givesUp(afterAttempt: event.attempts):
                let delay = policy.delayMilliseconds(afterAttempt: event.attempts, retryAfterSeconds: retryAfter)
                guard try outbox.scheduleRetry(event, afterMilliseconds: delay, status: status, reason: reason) else {
                    return leaseLost(event)
                }
                ServerLog.warning(
                    "\(event.eventType.rawValue) \(event.eventID) attempt \(event.attempts) failed (\(reason)); retry in \(delay) ms"
                )
            case .retry(let reason, let status, _), .giveUp(let reason, let status):
                let text =
                    policy.givesUp(afterAttempt: event.attempts) && outcomeIsRetry(outcome)
                    ? "\(reason) (gave up after \(event.attempts) attempts)" : reason
                guard try outbox.markFailed(event, status: status, reason: text) else { return leaseLost(event) }
                if let commentID = event.commentID {
                    try comments.markFailed(org: event.orgID, id: commentID, reason: text)
                }
                ServerLog.warning("\(event.eventType.rawValue) \(event.eventID) failed for good: \(text)")
            }
            return Attempt(delivered: false)
        }
    }

    /// Another loop holds the event now (this lease ran out), or the ticket was unlinked: its outcome stands.
    private func leaseLost(_ event: OutboxEvent) -> Attempt {
        ServerLog.warning(
            "\(event.eventType.rawValue) \(event.eventID): lease lost or event cancelled; outcome not recorded")
        return Attempt(delivered: false)
    }

    private func outcomeIsRetry(_ outcome: DeliveryOutcome) -> Bool {
        if case .retry = outcome { return true }
        return false
    }
}
