import TicketSyncPlatform

/// What a tracker reports about one of our tickets when it is swept: the shared shape every sweep applies through
/// the webhooks' idempotent paths (external comment ids; the status map, ordered by the tracker's time).
public struct SweptTicket: Sendable, Equatable {
    /// As the link stores it (`PROJ-12`, `INC0010001`, `wh-3`).
    public var externalID: ExternalTicketID
    /// Its status now, with the tracker's time of that status (nil when the tracker reports none).
    public var status: TrackerStatusChange?
    /// Comments written on the tracker, oldest first; ours are left out where the tracker can tell (and are
    /// recognised by their stored ids where it cannot).
    public var comments: [InboundEvent.ExternalComment]
    /// The tracker's time of its last change to the ticket (epoch ms): how far a sweep's cursor may move.
    public var changedAt: Int64?
    /// The tracker no longer has the ticket.
    public var deleted: Bool

    public init(
        externalID: ExternalTicketID, status: TrackerStatusChange? = nil, comments: [InboundEvent.ExternalComment] = [],
        changedAt: Int64? = nil, deleted: Bool = false
    ) {
        self.externalID = externalID
        self.status = status
        self.comments = comments
        self.changedAt = changedAt
        self.deleted = deleted
    }

    public static func gone(_ externalID: ExternalTicketID) -> SweptTicket {
        SweptTicket(externalID: externalID, deleted: true)
    }
}

/// One page of a tracker's changes: the tickets of ours it changed, oldest change first, and where the next page
/// starts (nil on the last).
public struct SweepPage: Sendable, Equatable {
    public var tickets: [SweptTicket]
    public var next: String?

    public init(tickets: [SweptTicket], next: String? = nil) {
        self.tickets = tickets
        self.next = next
    }
}

/// How a tracker is swept: part of what a tracker implements (its provider returns one). Failures are
/// `TrackerError`s (an `unavailable` one with its Retry-After backs the sweep off), or `SweepUnsupported`.
public protocol TicketSweeper {
    /// Tickets of ours (the connection's project, our label or correlation id) the tracker changed at or after
    /// `since` (epoch ms: the sweep's cursor less the overlap), one page: `page` is nil first, then the previous
    /// page's `next`.
    func changes(since: Int64, page: String?) throws -> SweepPage
    /// One ticket as the tracker has it now (`deleted` when it no longer has it): how a sweep finds deletions,
    /// and what "Re-sync now" on one evidence request reads.
    func lookup(_ link: TicketLink) throws -> SweptTicket
}

/// The tracker has nothing a sweep can read (a webhook adapter without `GET <url>/changes`): the connection "cannot
/// be swept", said in readiness and in the sync-health view.
public struct SweepUnsupported: Error, Sendable, Equatable {
    public var reason: String

    public init(_ reason: String) { self.reason = reason }
}
