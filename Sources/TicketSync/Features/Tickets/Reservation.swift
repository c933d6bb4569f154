/// A create's hold on a request's link while it asks the tracker: the link (state `creating`), the token that says
/// this create still owns it (a take-over mints a new one, so a create that outlived its lease cannot complete it),
/// and, for a take-over, how many seconds ago a create last started asking the tracker to make the ticket.
public struct Reservation: Sendable, Equatable {
    public var link: TicketLink
    public var token: String
    /// nil for a fresh reservation: no earlier attempt can have made a ticket.
    public var sinceTrackerAttempt: Double?

    public var isResumed: Bool { sinceTrackerAttempt != nil }
}
