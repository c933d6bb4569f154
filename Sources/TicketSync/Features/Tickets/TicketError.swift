/// What the ticket and comment use cases refuse, in the domain's words; `TicketError+HTTP.swift` maps each case to its
/// HTTP status and problem in one place.
public enum TicketError: Error, Equatable {
    /// The evidence request already has an active link (one at a time, enforced by the database).
    case alreadyLinked
    /// The tracker's id is already linked to another evidence request through the same connection.
    case externalIDInUse(String)
    case alreadyClosed
    /// Another create is still opening this request's ticket.
    case beingCreated
    /// The close was recorded, but another request unlinked the ticket while the tracker was being told.
    case unlinkedMeanwhile
    /// This create's reservation was taken over (its lease ran out while the tracker answered) or unlinked: the
    /// ticket it made (`made`) is not linked; `linked` is the request's ticket now, if any.
    case createSuperseded(made: String, linked: String?)
    /// The evidence request has no active link.
    case noLink
    /// No evidence request with that id in the org (or in another org: the same answer).
    case noRequest
    /// "Re-sync now" was asked again within TICKET_SYNC_RESYNC_EVERY; it may be asked again in `retryAfter` seconds.
    case resyncTooSoon(retryAfter: Int)
    /// The ticket's tracker offers nothing to read it back by (a webhook adapter without `/changes`), in its words.
    case cannotBeSwept(String)
}
