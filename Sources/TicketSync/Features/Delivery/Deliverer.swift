import Dispatch
import TicketSyncPlatform

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
    /// waits behind other attempts and outlives its lease: a lease covers one call's whole timeout plus 30 s).
    /// Claims take turns between connections (see `OutboxStore.claimTurn`): `lane` is the last one served, kept by
    /// the loop across passes; at most `cap` events of one connection, and `orgCap` of one org's connections
    /// together, are in flight across all loops; lanes found with nothing due rest in `rests`. After a quick
    /// success it goes on with the same link's next events while they succeed quickly, so a backlog on one ticket
    /// drains in one pass, in order, without a slow tracker holding the loop from the other connections' turns.
    /// Returns how many it attempted. Events younger than `graceSeconds` that were never attempted are left to the
    /// request that wrote them.
    @discardableResult
    public func deliverDue(
        limit: Int, timeouts: HTTPTimeouts, graceSeconds: Int, cap: Int, orgCap: Int, lane: inout String?,
        rests: LaneRests? = nil
    ) throws -> Int {
        var attempted = 0
        for _ in 0..<limit {
            guard
                let turn = try OutboxStore(db: db).claimTurn(
                    after: lane, cap: cap, orgCap: orgCap, leaseSeconds: Self.lease(timeouts),
                    graceSeconds: graceSeconds, providers: providers.deliverable, rests: rests)
            else { break }
            lane = turn.lane
            // Each quick delivery claims the link's next event in the round trip that records it.
            var event = turn.event
            for chained in 0...Self.drainLimit {
                attempted += 1
                let next = try attempt(event, timeouts: timeouts, chaining: chained < Self.drainLimit).next
                guard let next else { break }
                event = next
            }
        }
        return attempted
    }

    /// A link is drained back to back only while its tracker answers within this.
    static let drainAnswerMilliseconds: UInt64 = 1000

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
        try db.pipeline([
            PGStatement.genericPlans, Self.claimNextStatement(linkID: TicketLinkID(linkID), timeouts: timeouts),
        ])
        .at(1).all.map(OutboxStore.decode).first
    }

    static func claimNextStatement(linkID: TicketLinkID, timeouts: HTTPTimeouts) -> PGStatement {
        OutboxStore.claimStatement(limit: 1, leaseSeconds: lease(timeouts), linkID: linkID)
    }

    static func lease(_ timeouts: HTTPTimeouts) -> Int { timeouts.totalSeconds + 30 }

    /// What one attempt came to: whether the provider has the event now, the echo it stored, if any, and the
    /// event's comment as the outcome left it.
    struct Attempt {
        var delivered: Bool
        var echo: Comment? = nil
        var comment: Comment? = nil
        /// What it counts as in the metrics.
        var metric: DeliveryMetric = .delivered
        /// The link's next event, claimed with this outcome (see `attempt(_:timeouts:provider:chaining:)`).
        var next: OutboxEvent? = nil
    }

    /// Sends a claimed event through its tracker and records the outcome. `provider`: the event's tracker when the
    /// caller has already resolved it (a comment's first attempt); otherwise it is resolved from the event.
    /// `chaining`: when the tracker took it within `drainAnswerMilliseconds`, the link's next event is claimed in
    /// the same round trip as the outcome (`Attempt.next`), so a backlog on one ticket drains in order at one round
    /// trip per event, and a slow tracker never holds the loop from the other connections' turns.
    func attempt(
        _ event: OutboxEvent, timeouts: HTTPTimeouts, provider known: (any TicketProvider)? = nil,
        chaining: Bool = false
    ) throws -> Attempt {
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: DeliveryOutcome
        do {
            // A corrupt stored body is never sent as an empty event: the event fails for good, naming why.
            guard event.parsedPayload != nil else {
                throw StoredValueError("outbox body of event \(event.eventID)", event.body)
            }
            let provider =
                try known
                ?? providers.provider(
                    providers.config(
                        connectionID: event.connectionID?.rawValue, org: event.orgID.rawValue, kind: event.provider,
                        db: db))
            outcome = provider.deliver(event, timeouts: timeouts)
        } catch let error as APIError {
            // Unconfigured provider, disabled connection, or a secret that does not open: keep the event, try later.
            outcome = .retry(reason: error.problem.detail, status: nil, retryAfter: nil)
        } catch let corrupt as StoredValueError {
            ServerLog.error("delivery: \(corrupt)")
            outcome = .giveUp(reason: corrupt.description, status: nil)
        }
        let quick = DispatchTime.now().uptimeNanoseconds - started < Self.drainAnswerMilliseconds * 1_000_000
        let attempt = try record(event, outcome, claimingNextFor: chaining && quick ? timeouts : nil)
        providers.metrics?.delivery(provider: event.provider, attempt.metric)
        return attempt
    }

    /// One round trip and one transaction per outcome: the outbox update, then the comment's, in one pipeline. The
    /// comment statements apply only while this claim's lease held (see `CommentStore.syncedStatement`).
    /// `claimingNextFor`: claim the link's next event after a delivery, leased for calls with these timeouts.
    private func record(_ event: OutboxEvent, _ outcome: DeliveryOutcome, claimingNextFor chain: HTTPTimeouts?) throws
        -> Attempt
    {
        switch outcome {
        case .delivered(let externalCommentID, let echo):
            var statements = [OutboxStore.deliveredStatement(event, status: nil)]
            if let commentID = event.commentID {
                statements.append(
                    CommentStore.syncedStatement(
                        org: event.orgID, id: commentID,
                        externalCommentID: externalCommentID ?? Comment.mintedExternalID(commentID), heldBy: event))
                if let echo {
                    statements.append(
                        CommentStore.externalStatement(
                            org: event.orgID, request: event.evidenceRequestID, author: echo.author, body: echo.body,
                            externalCommentID: echo.externalCommentID, heldBy: event))
                }
            }
            let recorded = statements.count
            // The tracker answers again after a failed sweep: sweep it now (webhooks were likely lost meanwhile).
            statements.append(
                SweepStore.sweepNowIfFailedStatement(connectionID: event.connectionID?.rawValue, kind: event.provider))
            // After this one is recorded (the same transaction), the link's next event is its first open one.
            if let chain {
                statements += [
                    PGStatement.genericPlans, Self.claimNextStatement(linkID: event.linkID, timeouts: chain),
                ]
            }
            let rows = try db.pipeline(statements)
            let next = chain != nil ? try rows.at(statements.count - 1).first.map(OutboxStore.decode) : nil
            guard try rows.at(0).affected == 1 else {
                var lost = leaseLost(event)
                lost.next = next
                return lost
            }
            return Attempt(
                delivered: true, echo: recorded > 2 ? try rows.at(2).first.map(CommentStore.decode) : nil,
                comment: recorded > 1 ? try rows.at(1).first.map(CommentStore.decode) : nil, next: next)
        case .retry(let reason, let status, let retryAfter) where !policy.givesUp(afterAttempt: event.attempts):
            let delay = policy.delayMilliseconds(afterAttempt: event.attempts, retryAfterSeconds: retryAfter)
            let statement = OutboxStore.retryStatement(event, afterMilliseconds: delay, status: status, reason: reason)
            guard try db.query(statement).affected == 1 else { return leaseLost(event) }
            ServerLog.warning(
                "\(event.eventType.rawValue) \(event.eventID) attempt \(event.attempts) failed (\(reason)); retry in \(delay) ms"
            )
            return Attempt(delivered: false, metric: .retry)
        case .retry(let reason, let status, _), .giveUp(let reason, let status):
            let text =
                policy.givesUp(afterAttempt: event.attempts) && outcomeIsRetry(outcome)
                ? "\(reason) (gave up after \(event.attempts) attempts)" : reason
            var statements = [OutboxStore.failedStatement(event, status: status, reason: text)]
            if let commentID = event.commentID {
                statements.append(
                    CommentStore.failedStatement(org: event.orgID, id: commentID, reason: text, heldBy: event))
            }
            let rows = try db.pipeline(statements)
            guard try rows.at(0).affected == 1 else { return leaseLost(event) }
            ServerLog.warning("\(event.eventType.rawValue) \(event.eventID) failed for good: \(text)")
            return Attempt(
                delivered: false, comment: rows.count > 1 ? try rows[1].first.map(CommentStore.decode) : nil,
                metric: .failed)
        }
    }

    /// Another loop holds the event now (this lease ran out), or the ticket was unlinked: its outcome stands.
    private func leaseLost(_ event: OutboxEvent) -> Attempt {
        ServerLog.warning(
            "\(event.eventType.rawValue) \(event.eventID): lease lost or event cancelled; outcome not recorded")
        return Attempt(delivered: false, metric: .leaseLost)
    }

    private func outcomeIsRetry(_ outcome: DeliveryOutcome) -> Bool {
        if case .retry = outcome { return true }
        return false
    }
}
