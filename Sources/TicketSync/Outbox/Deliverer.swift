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

    /// One pass of a delivery loop: claims up to `limit` due events and attempts each. Returns how many it attempted.
    /// Events younger than `graceSeconds` that were never attempted are left to the request that wrote them.
    @discardableResult
    public func deliverDue(limit: Int, timeouts: HTTPTimeouts, graceSeconds: Int) throws -> Int {
        let events = try OutboxStore(db: db).claim(limit: limit, leaseSeconds: Self.lease(timeouts), graceSeconds: graceSeconds)
        for event in events { _ = try attempt(event, timeouts: timeouts) }
        return events.count
    }

    /// The first attempt, made while the API request waits. Does nothing when an earlier event of the same link
    /// is still queued (order first); the delivery loop takes it from there. Returns the stored echo, if any.
    public func deliverNow(eventID: String, timeouts: HTTPTimeouts) throws -> Comment? {
        guard let event = try OutboxStore(db: db).claim(limit: 1, leaseSeconds: Self.lease(timeouts), eventID: eventID).first
        else { return nil }
        return try attempt(event, timeouts: timeouts)
    }

    /// Attempts the oldest due event of one link (after a retry was requested).
    public func deliverNext(linkID: String, timeouts: HTTPTimeouts) throws -> Comment? {
        guard let event = try OutboxStore(db: db).claim(limit: 1, leaseSeconds: Self.lease(timeouts), linkID: linkID).first
        else { return nil }
        return try attempt(event, timeouts: timeouts)
    }

    private static func lease(_ timeouts: HTTPTimeouts) -> Int { Int(timeouts.total) + 30 }

    private func attempt(_ event: OutboxEvent, timeouts: HTTPTimeouts) throws -> Comment? {
        let outcome: DeliveryOutcome
        do {
            outcome = try providers.provider(named: event.provider).deliver(event, timeouts: timeouts)
        } catch let error as APIError {
            // Unconfigured (or not yet built) provider: keep the event and try again later.
            outcome = .retry(reason: error.problem.detail, status: nil, retryAfter: nil)
        }
        return try record(event, outcome)
    }

    private func record(_ event: OutboxEvent, _ outcome: DeliveryOutcome) throws -> Comment? {
        let outbox = OutboxStore(db: db)
        let comments = CommentStore(db: db)
        return try db.transaction { () throws -> Comment? in
            switch outcome {
            case .delivered(let externalCommentID, let echo):
                try outbox.markDelivered(event, status: nil)
                guard let commentID = event.commentID else { return nil }
                _ = try comments.markSynced(org: event.orgID, id: commentID,
                                            externalCommentID: externalCommentID ?? Comment.mintedExternalID(commentID))
                return try echo.flatMap {
                    try comments.insertExternal(org: event.orgID, request: event.evidenceRequestID, author: $0.author,
                                                body: $0.body, externalCommentID: $0.externalCommentID)
                }
            case .retry(let reason, let status, let retryAfter) where !policy.givesUp(afterAttempt: event.attempts):
                let delay = policy.delayMilliseconds(afterAttempt: event.attempts, retryAfterSeconds: retryAfter)
                try outbox.scheduleRetry(event, afterMilliseconds: delay, status: status, reason: reason)
                ServerLog.warning("\(event.eventType.rawValue) \(event.eventID) attempt \(event.attempts) failed (\(reason)); retry in \(delay) ms")
            case .retry(let reason, let status, _), .giveUp(let reason, let status):
                let text = policy.givesUp(afterAttempt: event.attempts) && outcomeIsRetry(outcome)
                    ? "\(reason) (gave up after \(event.attempts) attempts)" : reason
                try outbox.markFailed(event, status: status, reason: text)
                if let commentID = event.commentID { try comments.markFailed(org: event.orgID, id: commentID, reason: text) }
                ServerLog.warning("\(event.eventType.rawValue) \(event.eventID) failed for good: \(text)")
            }
            return nil
        }
    }

    private func outcomeIsRetry(_ outcome: DeliveryOutcome) -> Bool {
        if case .retry = outcome { return true }
        return false
    }
}
