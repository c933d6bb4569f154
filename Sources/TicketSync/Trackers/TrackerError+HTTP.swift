import TicketSyncPlatform

/// Tracker failures as problem+json, worded once: 502 (refused or broken), 503 (rate-limited or unavailable), 504
/// (timed out), 409 (a close the tracker can never make). A create whose outcome is unknown says so
/// (`"tracker_outcome": "unknown"`).
extension TrackerError: HTTPResponseError {
    public var status: Int {
        switch reason {
        case .timedOut: 504
        case .unavailable: 503
        case .cannotClose: 409
        case .fieldsRefused: 422
        case .unreachable, .credentialsRejected, .failed, .refused, .notAccepted, .invalidAnswer: 502
        }
    }

    public var problem: Problem {
        var problem: Problem
        switch reason {
        case .timedOut:
            problem = Self.problem(
                504, "provider-timeout", "\(tracker) did not answer in time while trying to \(action).")
        case .unreachable(let words):
            problem = Self.problem(
                502, "provider-unreachable", "\(tracker) could not be reached to \(action): \(words).")
        case .credentialsRejected(let status):
            problem = Self.problem(
                502, "provider-credentials-rejected",
                "\(tracker) rejected the credentials (HTTP \(status)); check the API token and account.")
        case .unavailable(let words, _):
            problem = Self.problem(
                503, "provider-unavailable", "\(tracker) is busy or unavailable (\(words)); try again later.")
        case .failed(let words):
            problem = Self.problem(502, "provider-error", "\(tracker) failed to \(action) (\(words)).")
        case .refused(let words):
            problem = Self.problem(502, "provider-rejected-request", "\(tracker) refused to \(action) (\(words)).")
        case .notAccepted(let words):
            problem = Self.problem(
                502, "provider-request-failed",
                "\(tracker) did not accept \(action) (\(words))"
                    + (outcomeUnknown
                        ? "; retry to finish creating the ticket (the same X-Event-Id is sent)."
                        : "; no ticket was linked."))
        case .invalidAnswer(let field, let rule):
            problem = Self.problem(
                502, "provider-request-failed",
                "\(tracker) answered \(action) with an invalid `\(field)`: it \(rule); no ticket was linked.")
            problem.extensions["field"] = .string(field)
        case .fieldsRefused(let fields):
            let named = fields.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
            problem = Self.problem(
                422, "tracker-field-refused",
                "\(tracker) refused to \(action) because of \(fields.count == 1 ? "a field" : "fields") (\(named)); "
                    + "set \(fields.count == 1 ? "it" : "them") in the connection's field mapping (settings.fields) "
                    + "and create again. No ticket was made.")
            problem.extensions["fields"] = .array(fields.map(\.json))
        case .cannotClose(let detail, let options):
            problem = Self.problem(409, "no-done-transition", detail)
            problem.extensions["transitions"] = .array(options.map(JSONValue.string))
        }
        if outcomeUnknown { problem.extensions["tracker_outcome"] = .string("unknown") }
        return problem
    }

    public var headers: [(name: String, value: String)] {
        guard case .unavailable(_, let retryAfter?) = reason else { return [] }
        return [("Retry-After", String(retryAfter))]
    }

    private static func problem(_ status: Int, _ slug: String, _ detail: String) -> Problem {
        Problem(slug: slug, title: HTTPStatus.reason(status), detail: detail)
    }
}
