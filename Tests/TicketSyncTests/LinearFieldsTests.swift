import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Linear's part of ticket fields: the mapped issueCreate input, Linear's input errors read as the mapped fields
/// they blame, the assignee's `users` look-up, and a due-date change sent with issueUpdate.
@Suite struct LinearFieldsTests {
    let timeouts = HTTPTimeouts(connect: 1, total: 1)

    func provider(_ http: RecordingHTTP, mapping: FieldMapping = .empty) throws -> LinearProvider {
        LinearProvider(
            client: LinearGraphQL(
                baseURL: try #require(URL(string: "http://127.0.0.1:1")), apiKey: "lin_api_k", http: http),
            teamID: "team-1", timeouts: timeouts, states: LinearStateCache(), linkBack: { _ in nil }, mapping: mapping)
    }

    func json(_ text: String, status: Int = 200) -> OutboundResult {
        LinearGraphQL.normalized(.response(status: status, headers: [:], body: Array(text.utf8)))
    }

    let mapped: Set<String> = ["priority", "projectId", "labelIds", "dueDate", "estimat"]

    @Test func anArgumentValidationErrorNamesItsProperty() {
        let listed = json(
            #"{"errors":[{"message":"Argument Validation Error","extensions":{"code":"INVALID_INPUT","type":"invalid input","userError":true,"userPresentableMessage":"priority must not be greater than 4","validationErrors":[{"property":"priority","constraints":{"max":"priority must not be greater than 4"}}]}}],"data":null}"#
        )
        #expect(
            LinearGraphQL.blamedFields(listed, among: mapped) == [
                TrackerFieldProblem(field: "priority", message: "priority must not be greater than 4")
            ])
        // Only the user-presentable sentence: its first word names the property.
        let said = json(
            #"{"errors":[{"message":"Argument Validation Error","extensions":{"code":"INVALID_INPUT","userPresentableMessage":"dueDate must be a valid date"}}]}"#
        )
        #expect(
            LinearGraphQL.blamedFields(said, among: mapped) == [
                TrackerFieldProblem(field: "dueDate", message: "dueDate must be a valid date")
            ])
        // In `extensions.exception` (where Apollo puts it when it keeps it).
        let nested = json(
            #"{"errors":[{"message":"Argument Validation Error","extensions":{"exception":{"validationErrors":[{"property":"labelIds","constraints":{"isUuid":"each value in labelIds must be a UUID"}}]}}}]}"#
        )
        #expect(LinearGraphQL.blamedFields(nested, among: mapped)?.map(\.field) == ["labelIds"])
    }

    @Test func coercionErrorsAndMissingEntitiesNameTheirField() {
        let unknown = json(
            #"{"errors":[{"message":"Variable \"$input\" got invalid value {}; Field \"estimat\" is not defined by type \"IssueCreateInput\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}"#,
            status: 400)
        #expect(LinearGraphQL.blamedFields(unknown, among: mapped)?.map(\.field) == ["estimat"])
        let typed = json(
            #"{"errors":[{"message":"Variable \"$input\" got invalid value \"high\" at \"input.priority\"; Int cannot represent non-integer value: \"high\""}]}"#,
            status: 400)
        #expect(LinearGraphQL.blamedFields(typed, among: mapped)?.map(\.field) == ["priority"])
        let project = json(
            #"{"errors":[{"message":"Entity not found: Project","extensions":{"code":"INVALID_INPUT","userPresentableMessage":"Could not find referenced Project."}}]}"#
        )
        #expect(
            LinearGraphQL.blamedFields(project, among: mapped) == [
                TrackerFieldProblem(field: "projectId", message: "Could not find referenced Project.")
            ])
        let label = json(#"{"errors":[{"message":"Entity not found: IssueLabel"}]}"#)
        #expect(LinearGraphQL.blamedFields(label, among: mapped)?.map(\.field) == ["labelIds"])
    }

    /// Errors that blame nothing the mapping set keep the ordinary refusal (502 in Linear's words).
    @Test func errorsAboutAnythingElseAreNotFieldRefusals() {
        let team = json(#"{"errors":[{"message":"Entity not found: Team","extensions":{"code":"INVALID_INPUT"}}]}"#)
        #expect(LinearGraphQL.blamedFields(team, among: mapped) == nil)
        let title = json(#"{"errors":[{"message":"title must be shorter than 256 characters"}]}"#)
        #expect(LinearGraphQL.blamedFields(title, among: mapped) == nil)
        #expect(
            LinearGraphQL.blamedFields(json(#"{"errors":[{"message":"Argument Validation Error"}]}"#), among: []) == nil
        )
        let error = LinearProvider.failure(blaming: mapped).apiError(team, action: "create the issue")
        #expect(error.status == 502 && error.problem.slug == "provider-rejected-request")
        let refused = LinearProvider.failure(blaming: mapped).apiError(
            json(#"{"errors":[{"message":"Entity not found: Project"}]}"#), action: "create the issue")
        #expect(refused.status == 422 && refused.problem.slug == "tracker-field-refused")
    }

    @Test func theCreateInputCarriesTheMappingAndTheAssigneeAndKeepsItsOwn() {
        let request = EvidenceRequest(id: "r", orgID: "o", title: "Access review", description: "Q3", status: .open)
        let draft = TicketDraft(
            request: request,
            fields: [
                "priority": .int(2), "labelIds": .array([.string("l-1")]), "teamId": .string("other"),
                "dueDate": .string("2026-12-31"),
            ], assignee: "u-1")
        let input = LinearProvider.createInput(draft, id: "i-1", team: "team-1") { _ in nil }
        #expect(
            input == [
                "id": .string("i-1"), "teamId": .string("team-1"), "title": .string("Access review"),
                "description": .string("Q3"), "priority": .int(2), "labelIds": .array([.string("l-1")]),
                "dueDate": .string("2026-12-31"), "assigneeId": .string("u-1"),
            ])
    }

    @Test func theAssigneeIsLookedUpByEmail() throws {
        let http = RecordingHTTP()
        http.answer = json(#"{"data":{"users":{"nodes":[{"id":"u-9"}]}}}"#)
        #expect(try provider(http).account(email: "dana@example.com") == .found("u-9"))
        let body = try JSONParser.parse(try #require(http.sent.first).body)
        #expect(body["query"]?.stringValue == LinearDocument.users)
        #expect(body["variables"] == .object(["email": .string("dana@example.com")]))
        #expect(LinearDocument.users.contains("users(filter: { email: { eqIgnoreCase: $email } }"))
        http.answer = json(#"{"data":{"users":{"nodes":[]}}}"#)
        #expect(try provider(http).account(email: "nobody@example.com") == .notFound)
        http.answer = json(#"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}"#)
        let error = try #require(throws: TrackerError.self) { try provider(http).account(email: "x@example.com") }
        #expect(error.status == 503 && !error.outcomeUnknown)
    }

    func update(_ dueDate: String?) -> OutboxEvent {
        OutboxEvent(
            id: 1, eventID: "0b4e7f0e-0000-4000-8000-000000000001", orgID: "o", linkID: "l", evidenceRequestID: "r",
            commentID: nil, provider: "linear", eventType: .update,
            body: JSONValue.object(["due_date": dueDate.map(JSONValue.string) ?? .null]).text, attempts: 1,
            externalID: ExternalTicketID("GRC-1"), externalRef: "i-1")
    }

    @Test func aDueDateChangeIsSentWithIssueUpdate() throws {
        let http = RecordingHTTP()
        http.answer = json(#"{"data":{"issueUpdate":{"success":true}}}"#)
        let linear = try provider(http)
        #expect(
            linear.deliver(update("2027-01-15"), timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        #expect(linear.deliver(update(nil), timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        let bodies = try http.sent.map { try JSONParser.parse($0.body) }
        #expect(bodies.allSatisfy { $0["query"]?.stringValue == LinearDocument.issueUpdate })
        #expect(
            bodies.map { $0["variables"] } == [
                .object(["id": .string("i-1"), "input": .object(["dueDate": .string("2027-01-15")])]),
                .object(["id": .string("i-1"), "input": .object(["dueDate": .null])]),
            ])
        let quiet = RecordingHTTP()
        let mapped = try provider(quiet, mapping: FieldMapping(fields: ["dueDate": .string("2030-01-01")]))
        #expect(
            mapped.deliver(update("2027-01-15"), timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        #expect(quiet.sent.isEmpty)
    }
}
