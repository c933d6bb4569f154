import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct TrackerFailureTests {
    let jira = JiraProvider.failure
    let serviceNow = ServiceNowProvider.failure

    func response(_ status: Int, _ body: String = "", _ headers: [String: String] = [:]) -> OutboundResult {
        .response(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test func jiraErrorCollectionIsPassedThrough() {
        let error = jira.apiError(
            response(400, #"{"errorMessages":["Field 'priority' is required"],"errors":{}}"#),
            action: "create the issue")
        #expect(error.status == 502)
        #expect(error.problem.detail.contains("Field 'priority' is required"))
        // Fields named in `errors` are a field refusal (JiraFieldsTests): 422, in Jira's words.
        let fields = jira.apiError(
            response(400, #"{"errorMessages":[],"errors":{"summary":"too long"}}"#), action: "create the issue")
        #expect(fields.status == 422 && fields.problem.detail.contains("summary: too long"))
    }

    @Test func credentialsTimeoutsAndRateLimitsGetTheirOwnStatus() {
        #expect(jira.apiError(response(401), action: "x").problem.slug == "provider-credentials-rejected")
        #expect(jira.apiError(response(403), action: "x").problem.slug == "provider-credentials-rejected")
        #expect(serviceNow.apiError(response(403), action: "x").problem.slug == "provider-rejected-request")
        let limited = jira.apiError(response(429, "", ["retry-after": "30"]), action: "x")
        #expect(limited.status == 503 && limited.headers.first?.value == "30")
        #expect(jira.apiError(.failure("timed out after 10s"), action: "x").status == 504)
        #expect(jira.apiError(.failure("connection refused"), action: "x").status == 502)
    }

    @Test func outboxOutcomes() {
        #expect(
            jira.outcome(response(429, "", ["retry-after": "4"]))
                == .retry(reason: "HTTP 429", status: 429, retryAfter: 4))
        #expect(jira.outcome(response(502)) == .retry(reason: "HTTP 502", status: 502, retryAfter: nil))
        #expect(
            jira.outcome(.failure("connection refused"))
                == .retry(reason: "connection refused", status: nil, retryAfter: nil))
        #expect(jira.outcome(response(401)) == .giveUp(reason: "Jira rejected the credentials (HTTP 401)", status: 401))
        let policy = serviceNow.outcome(
            response(
                403, #"{"error":{"message":"Operation Failed","detail":"Data Policy Exception"},"status":"failure"}"#))
        #expect(policy == .giveUp(reason: "HTTP 403: Operation Failed: Data Policy Exception", status: 403))
    }
}

@Suite struct JiraWebhookEventTests {
    func decode(_ text: String) throws -> JiraCommentCreated? {
        guard case .commentCreated(let comment) = try JiraWebhook.decode(JSONParser.parse(Array(text.utf8))) else {
            return nil
        }
        return comment
    }

    @Test func readsTheCommentAndTheIssue() throws {
        let event = try decode(
            #"""
            {"webhookEvent":"comment_created","issue":{"id":"10000","key":"ZUL-1"},
             "comment":{"self":"https://x.atlassian.net/rest/api/2/issue/10000/comment/10001","id":"10001",
                        "author":{"accountId":"abc","displayName":"Eeshan Garg"},"body":"Leaving a comment here! :)"}}
            """#)
        #expect(
            event
                == JiraCommentCreated(
                    commentID: "10001", body: "Leaving a comment here! :)", authorName: "Eeshan Garg",
                    author: .object(["accountId": .string("abc"), "displayName": .string("Eeshan Garg")]),
                    issueKey: "ZUL-1", issueID: "10000"))
    }

    /// A number that is no whole Int (too large, or with a fraction) is a missing id (422), never a trap.
    @Test(arguments: ["1e19", "-1e19", "1.5", "1e400"])
    func aCommentIdThatIsNoIntegerIsRefused(number: String) {
        let text =
            #"{"webhookEvent":"comment_created","issue":{"key":"ZUL-1"},"comment":{"id":"#
            + number + #","body":"x"}}"#
        #expect(throws: APIError.self) { try decode(text) }
        #expect(JiraProvider.identifier(.number(1e19)) == nil && JiraProvider.identifier(.number(42)) == "42")
    }

    @Test func otherEventsAreNotComments() throws {
        #expect(try decode(#"{"webhookEvent":"jira:worklog_updated"}"#) == nil)
    }

    @Test func issueIdComesFromTheCommentURL() {
        #expect(JiraCommentCreated.issueID(fromCommentURL: "http://h/jira/rest/api/2/issue/10042/comment/7") == "10042")
        #expect(JiraCommentCreated.issueID(fromCommentURL: "http://h/rest/api/2/issue/KEY-1/comment/7") == nil)
    }

    @Test func adfBecomesLines() {
        let adf = JSONValue.object([
            "type": .string("doc"),
            "content": .array([
                .object([
                    "type": .string("paragraph"),
                    "content": .array([.object(["type": .string("text"), "text": .string("a")])]),
                ]),
                .object([
                    "type": .string("paragraph"),
                    "content": .array([
                        .object(["type": .string("text"), "text": .string("b")]),
                        .object(["type": .string("text"), "text": .string("c")]),
                    ]),
                ]),
            ]),
        ])
        #expect(JiraCommentCreated.plainText(adf) == .string("a\nbc"))
    }

    @Test func integrationAccountMatchesByAccountIdOrName() {
        let cloud = JiraIdentity(accountID: "5b10", name: nil, key: nil)
        #expect(cloud.matches(.object(["accountId": .string("5b10")])))
        #expect(!cloud.matches(.object(["accountId": .string("other")])))
        let dataCenter = JiraIdentity(accountID: nil, name: "ticketsync", key: "JIRAUSER1")
        #expect(dataCenter.matches(.object(["name": .string("ticketsync")])))
        #expect(!dataCenter.matches(nil))
    }
}

@Suite struct ProviderSettingsTests {
    @Test func jiraNeedsAProjectKeyAndKeepsTheContextPath() {
        let settings = Settings(environment: ["JIRA_BASE_URL": "https://jira.example.com/jira/", "JIRA_API_TOKEN": "t"])
        #expect(settings.missingKeys(for: .jira) == ["JIRA_PROJECT_KEY"])
        #expect(settings.jira.baseURL?.absoluteString == "https://jira.example.com/jira")
        #expect(settings.jira.issueType == "Task")
        #expect(settings.jira.email == nil)
    }

    @Test func serviceNowDefaultsAndWarnings() {
        let plain = Settings(environment: [:]).serviceNow
        #expect(
            plain.auth == .apikey && plain.table == "incident" && plain.closeCode == "Solution provided"
                && plain.closeState == "6")
        let odd = Settings(environment: ["SERVICENOW_AUTH": "basic", "SERVICENOW_TABLE": "incident; drop"])
        #expect(odd.serviceNow.auth == .apikey && odd.serviceNow.table == "incident")
        #expect(odd.warnings.count == 2)
    }

    @Test func unusableURLsCountAsMissing() {
        let settings = Settings(environment: ["SERVICENOW_BASE_URL": "not a url", "SERVICENOW_API_TOKEN": "t"])
        #expect(settings.missingKeys(for: .servicenow) == ["SERVICENOW_BASE_URL"])
    }

    @Test func linkBackNeedsAPublicBaseURL() {
        let request = EvidenceRequest(id: "r", orgID: "o", title: "t", description: "", status: .open)
        #expect(Settings(environment: [:]).evidenceRequestURL(request) == nil)
        #expect(
            Settings(environment: ["PUBLIC_BASE_URL": "https://grc.example/"]).evidenceRequestURL(request)
                == "https://grc.example/orgs/o/evidence-requests/r")
    }
}
