import Testing
import TicketSyncPlatform

@testable import TicketSync

/// Tracker failures become problems in one place: status, slug, the tracker's words, and what a create does next.
struct TrackerErrorTests {
    func error(_ reason: TrackerError.Reason, unknown: Bool = false) -> TrackerError {
        TrackerError(tracker: "Jira", action: "create the issue", reason: reason, outcomeUnknown: unknown)
    }

    @Test(arguments: [
        (TrackerError.Reason.timedOut, 504, "provider-timeout"),
        (.unreachable("connection refused"), 502, "provider-unreachable"),
        (.credentialsRejected(401), 502, "provider-credentials-rejected"),
        (.unavailable("HTTP 429", retryAfter: 30), 503, "provider-unavailable"),
        (.failed("HTTP 500"), 502, "provider-error"),
        (.refused("HTTP 400: summary: Field 'x' is required"), 502, "provider-rejected-request"),
        (.notAccepted("HTTP 500"), 502, "provider-request-failed"),
        (.invalidAnswer(field: "external_url", rule: "must be http(s)"), 502, "provider-request-failed"),
        (.cannotClose("no transition", options: ["Reopen"]), 409, "no-done-transition"),
        (
            .fieldsRefused([TrackerFieldProblem(field: "priority", message: "Priority is required.")]), 422,
            "tracker-field-refused"
        ),
    ])
    func eachReasonHasItsStatusAndSlug(reason: TrackerError.Reason, status: Int, slug: String) {
        #expect(error(reason).status == status)
        #expect(error(reason).problem.slug == slug)
    }

    @Test func theTrackersWordsFieldAndOptionsAreKept() {
        #expect(
            error(.refused("HTTP 400: summary: Field 'x' is required")).problem.detail
                == "Jira refused to create the issue (HTTP 400: summary: Field 'x' is required).")
        #expect(
            error(.invalidAnswer(field: "external_id", rule: "r")).problem.extensions["field"] == .string("external_id")
        )
        #expect(
            error(.cannotClose("none", options: ["Reopen"])).problem.extensions["transitions"]
                == .array([.string("Reopen")]))
        #expect(error(.unavailable("HTTP 429", retryAfter: 30)).headers.map(\.value) == ["30"])
        #expect(error(.unavailable("HTTP 503", retryAfter: nil)).headers.isEmpty)
    }

    @Test func anUnknownOutcomeIsSaidAndALookUpNeverHasOne() {
        let unknown = error(.failed("HTTP 502"), unknown: true)
        #expect(unknown.problem.extensions["tracker_outcome"] == .string("unknown"))
        #expect(unknown.lookupOnly.problem.extensions["tracker_outcome"] == nil)
        #expect(!unknown.lookupOnly.outcomeUnknown)
    }

    @Test func aFieldRefusalNamesEveryFieldInTheTrackersWords() {
        let refused = error(
            .fieldsRefused([
                TrackerFieldProblem(field: "customfield_10010", message: "Team is required."),
                TrackerFieldProblem(field: "priority", message: "Priority is required."),
            ]))
        #expect(
            refused.problem.detail.contains("customfield_10010: Team is required.; priority: Priority is required."))
        #expect(
            refused.problem.extensions["fields"]?.text
                == #"[{"field":"customfield_10010","message":"Team is required."},{"field":"priority","message":"Priority is required."}]"#
        )
    }

    @Test func aTrackersFieldsClosureDecidesBeforeTheCredentialStatuses() {
        // ServiceNow refuses a Data Policy breach with 403, which otherwise means refused credentials.
        let failure = TrackerFailure(
            tracker: "ServiceNow", credentialStatuses: [401, 403], details: { _ in nil },
            fields: { result in
                result.status == 403 ? [TrackerFieldProblem(field: "Category", message: "mandatory")] : nil
            })
        let blamed = failure.apiError(OutboundResult.response(status: 403, headers: [:], body: []), action: "create")
        #expect(blamed.reason == .fieldsRefused([TrackerFieldProblem(field: "Category", message: "mandatory")]))
        let plain = TrackerFailure(tracker: "ServiceNow", credentialStatuses: [401, 403], details: { _ in nil })
        #expect(
            plain.apiError(OutboundResult.response(status: 403, headers: [:], body: []), action: "x").reason
                == .credentialsRejected(403))
    }
}
