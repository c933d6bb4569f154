import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// ServiceNow's part of ticket fields: Data Policy refusals read as fields, the assignee's sys_user look-up, the
/// mapped columns of a new record, and a due-date change PATCHed.
@Suite struct ServiceNowFieldsTests {
    let timeouts = HTTPTimeouts(connect: 1, total: 1)

    func provider(_ http: RecordingHTTP, mapping: FieldMapping = .empty) throws -> ServiceNowProvider {
        let settings = Settings(environment: [
            "SERVICENOW_BASE_URL": "https://acme.service-now.com", "SERVICENOW_API_TOKEN": "sn-key",
        ])
        return ServiceNowProvider(
            settings: settings.serviceNow, baseURL: try #require(URL(string: "https://acme.service-now.com")),
            apiToken: "sn-key", http: http, timeouts: timeouts, linkBack: { _ in nil }, mapping: mapping)
    }

    func response(_ status: Int, _ body: String) -> OutboundResult {
        .response(status: status, headers: [:], body: Array(body.utf8))
    }

    static let policy =
        #"{"error":{"message":"Operation Failed","detail":"Data Policy Exception: \n The following fields are mandatory: Assignment group, Category"},"status":"failure"}"#

    @Test func aDataPolicyRefusalNamesEachMandatoryFieldInServiceNowsWords() {
        let words = "Data Policy Exception: The following fields are mandatory: Assignment group, Category"
        #expect(
            ServiceNowProvider.dataPolicyFields(response(403, Self.policy)) == [
                TrackerFieldProblem(field: "Assignment group", message: words),
                TrackerFieldProblem(field: "Category", message: words),
            ])
        // GlideRecord's one-field wording.
        let one = #"{"error":{"message":"Data Policy Exception: Short description is mandatory","detail":""}}"#
        #expect(
            ServiceNowProvider.dataPolicyFields(response(403, one)) == [
                TrackerFieldProblem(
                    field: "Short description", message: "Data Policy Exception: Short description is mandatory")
            ])
        let acl = #"{"error":{"message":"User Not Authorized","detail":"ACL prevents it"},"status":"failure"}"#
        #expect(ServiceNowProvider.dataPolicyFields(response(403, acl)) == nil)
        #expect(ServiceNowProvider.dataPolicyFields(response(403, "<html>")) == nil)
    }

    /// A 403 Data Policy refusal is a 422 naming the fields, not a credentials problem; other 403s stay refusals.
    @Test func theFailureChecksTheFieldsBeforeTheStatus() {
        let refused = ServiceNowProvider.failure.apiError(response(403, Self.policy), action: "create the record")
        #expect(refused.status == 422 && refused.problem.slug == "tracker-field-refused" && !refused.outcomeUnknown)
        guard case .fieldsRefused(let fields) = refused.reason else {
            Issue.record("expected fieldsRefused, got \(refused.reason)")
            return
        }
        #expect(fields.map(\.field) == ["Assignment group", "Category"])
        let acl = ServiceNowProvider.failure.apiError(
            response(403, #"{"error":{"message":"User Not Authorized"}}"#), action: "x")
        #expect(acl.status == 502 && acl.problem.slug == "provider-rejected-request")
    }

    @Test func theCreateSendsTheMappedColumnsTheAssigneeAndKeepsItsOwn() throws {
        let http = RecordingHTTP()
        http.answer = response(201, #"{"result":{"sys_id":"s1","number":"INC1"}}"#)
        let request = EvidenceRequest(id: "r", orgID: "o", title: "Access review", description: "Q3", status: .open)
        let draft = TicketDraft(
            request: request,
            fields: [
                "assignment_group": .string("Compliance"), "urgency": .string("2"), "short_description": .string("no"),
                "description": .string("Mapped"),
            ], assignee: "u-sys-1")
        _ = try provider(http).createTicket(draft, key: CreationKey(linkID: "L1"))
        let body = try JSONParser.parse(try #require(http.sent.first).body)
        #expect(
            body
                == .object([
                    "short_description": .string("Access review"), "correlation_id": .string("ticketsync-L1"),
                    "correlation_display": .string("Ticket Sync"), "description": .string("Mapped"),
                    "assignment_group": .string("Compliance"), "urgency": .string("2"),
                    "assigned_to": .string("u-sys-1"),
                ]))
    }

    @Test func theAssigneeIsLookedUpInSysUserByEmail() throws {
        let http = RecordingHTTP()
        http.answer = response(200, #"{"result":[{"sys_id":"u-1"}]}"#)
        #expect(try provider(http).account(email: "dana+grc@example.com") == .found("u-1"))
        let sent = try #require(http.sent.first)
        #expect(sent.url.path == "/api/now/table/sys_user" && sent.method == "GET")
        // `+` is sent encoded: ServiceNow reads a bare one as a space.
        #expect(sent.url.query?.contains("email%3Ddana%2Bgrc@example.com%5Eactive%3Dtrue") == true)
        let items = URLComponents(url: sent.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        #expect(
            items == [
                URLQueryItem(name: "sysparm_query", value: "email=dana+grc@example.com^active=true"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id"),
                URLQueryItem(name: "sysparm_limit", value: "1"),
            ])
        http.answer = response(200, #"{"result":[]}"#)
        #expect(try provider(http).account(email: "nobody@example.com") == .notFound)
        http.answer = response(429, #"{"error":{"message":"Rate limit exceeded"}}"#)
        let error = try #require(throws: TrackerError.self) { try provider(http).account(email: "x@example.com") }
        #expect(error.action == "look up the assignee by e-mail" && !error.outcomeUnknown)
    }

    /// `^` would add conditions to the encoded query; a line break or `javascript:` is not a value either. Such an
    /// address is never sent.
    @Test func anEmailThatIsNotAPlainValueIsNeverLookedUp() throws {
        for email in ["a^NQactive=true@x.com", "a^ORemail!=x@x.com", "a@x.com\n", "javascript:gs.getUserID()"] {
            let http = RecordingHTTP()
            #expect(try provider(http).account(email: email) == .notFound)
            #expect(http.sent.isEmpty)
        }
        #expect(ServiceNowProvider.encodedQueryValue("o'brien=x@example.com") == "o'brien=x@example.com")
    }

    func update(_ dueDate: String?) -> OutboxEvent {
        let body = JSONValue.object(["due_date": dueDate.map(JSONValue.string) ?? .null]).text
        return OutboxEvent(
            id: 1, eventID: "0b4e7f0e-0000-4000-8000-000000000001", orgID: "o", linkID: "l", evidenceRequestID: "r",
            commentID: nil, provider: "servicenow", eventType: .update, body: body, attempts: 1,
            externalID: ExternalTicketID("INC1"), externalRef: "s1")
    }

    @Test func aDueDateChangeIsPatchedAndAClearedOneSentEmpty() throws {
        let http = RecordingHTTP()
        http.answer = response(200, #"{"result":{}}"#)
        let now = try provider(http)
        #expect(now.deliver(update("2027-01-15"), timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        #expect(now.deliver(update(nil), timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        #expect(http.sent.map(\.method) == ["PATCH", "PATCH"])
        #expect(http.sent.first?.url.path == "/api/now/table/incident/s1")
        #expect(
            try http.sent.map { try JSONParser.parse($0.body) } == [
                .object(["due_date": .string("2027-01-15")]), .object(["due_date": .string("")]),
            ])
        // A mapping that fills `due_date` itself (not with the placeholder alone): nothing to update, no call.
        let fixed = RecordingHTTP()
        let mapped = try provider(fixed, mapping: FieldMapping(fields: ["due_date": .string("2030-01-01")]))
        #expect(
            mapped.deliver(update("2027-01-15"), timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        #expect(fixed.sent.isEmpty)
        // A refused PATCH gives up with ServiceNow's words.
        http.answer = response(403, Self.policy)
        guard case .giveUp(let reason, 403) = now.deliver(update("2027-02-01"), timeouts: timeouts) else {
            Issue.record("expected giveUp")
            return
        }
        #expect(reason.contains("Data Policy Exception"))
    }
}
