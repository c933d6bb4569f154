import TicketSyncPlatform

/// What applying one swept ticket changed here: the drift it repaired. Empty when the tracker already agreed.
public struct SweepRepairs: Sendable, Equatable {
    public var commentsAdded = 0
    /// The tracker status before and after, when a status drift was repaired.
    public var statusBefore: String?
    public var statusAfter: String?
    /// The evidence request's status, when the status map moved it.
    public var requestStatus: String?
    /// `closed` or `reopened`, when the link was.
    public var link: String?
    public var deleted = false
    /// The link's comments could not be compared this time (one of ours is on its way to the tracker, and might be
    /// taken for the tracker's own): it is not marked verified, and the next sweep looks again.
    public var deferred = false

    public init() {}

    /// How many changes were applied (the sweep's `changes` count).
    public var count: Int { commentsAdded + (statusAfter == nil ? 0 : 1) + (deleted ? 1 : 0) }

    public var json: JSONValue {
        .object([
            "comments_added": .number(Double(commentsAdded)),
            "status": statusAfter == nil
                ? .null : .object(["before": .optional(statusBefore), "after": .optional(statusAfter)]),
            "evidence_request_status": .optional(requestStatus),
            "link": .optional(link),
            "deleted": .bool(deleted),
            "deferred": .bool(deferred),
        ])
    }

    mutating func add(_ other: SweepRepairs) {
        commentsAdded += other.commentsAdded
        if other.statusAfter != nil {
            statusBefore = statusBefore ?? other.statusBefore
            statusAfter = other.statusAfter
        }
        requestStatus = other.requestStatus ?? requestStatus
        link = other.link ?? link
        deleted = deleted || other.deleted
        deferred = deferred || other.deferred
    }
}
