import TicketSyncPlatform

/// A tracker call that failed, in the use cases' terms: what happened, and whether the tracker may have done it all
/// the same. Providers throw it; the use cases decide on `outcomeUnknown` (a create keeps its reservation), never on
/// problem text; `TrackerError+HTTP` words it as a problem, in one place.
public struct TrackerError: Error, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// No answer within the timeout.
        case timedOut
        /// No connection (refused, DNS, TLS, a guarded address); the client's words.
        case unreachable(String)
        /// The tracker refused the credentials (its HTTP status).
        case credentialsRejected(Int)
        /// Rate-limited or unavailable (429, 503), with the tracker's words and its Retry-After.
        case unavailable(String, retryAfter: Int?)
        /// The tracker failed (5xx), in its words.
        case failed(String)
        /// The tracker refused the request (4xx), in its words.
        case refused(String)
        /// A webhook adapter did not accept the event (any failed answer), in the client's words.
        case notAccepted(String)
        /// An answer that cannot be stored: `field` broke `rule`.
        case invalidAnswer(field: String, rule: String)
        /// The tracker refused the ticket because of these fields (required, or a value it does not allow): fixed in
        /// the connection's field mapping, not by retrying.
        case fieldsRefused([TrackerFieldProblem])
        /// The tracker can never close this ticket (a Jira workflow without a transition to done).
        case cannotClose(String, options: [String])
    }

    /// "Jira", "ServiceNow", "The webhook endpoint".
    public var tracker: String
    /// What was being done: "create the issue".
    public var action: String
    public var reason: Reason
    /// The tracker may have done it all the same (timeout, lost connection, 5xx): a create keeps its reservation and
    /// a retry looks the ticket up first.
    public var outcomeUnknown = false

    /// A failed look-up creates nothing: whatever happened to the call, its outcome is not in doubt.
    var lookupOnly: TrackerError {
        var error = self
        error.outcomeUnknown = false
        return error
    }
}

/// One field a tracker refused, in its words: its id (`customfield_10010`, `assignment_group`) or, where the tracker
/// names fields by label only (ServiceNow's Data Policy), that label.
public struct TrackerFieldProblem: Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var json: JSONValue { .object(["field": .string(field), "message": .string(message)]) }
}
