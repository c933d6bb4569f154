import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Each tracker's requests as its documented wire format has them (docs/trackers/*.md): method, path, query, auth
/// scheme, Content-Type, Accept and the JSON body's exact shape, sent through a recording client (nothing leaves the
/// process). Providers are built by the registry from the environment, as the service builds them. Creates need a
/// database connection for now (`createTicket(…db:)`): their bodies are checked in the integration target
/// (TrackerCreateWireFormatTests).
struct TrackerWireFormatTests {
    static let timeouts = HTTPTimeouts(connect: 1, total: 1)

    static func ok(_ json: String = "{}", status: Int = 200) -> OutboundResult {
        .response(status: status, headers: ["content-type": "application/json"], body: Array(json.utf8))
    }

    static func provider(_ kind: ProviderKind, _ environment: [String: String], http: RecordingHTTP) throws
        -> any TicketProvider
    {
        try ProviderRegistry(settings: Settings(environment: environment), http: http).provider(kind)
    }

    static func event(_ type: OutboxEvent.EventType, body: String, externalID: String, ref: String? = nil)
        -> OutboxEvent
    {
        OutboxEvent(
            id: 1, eventID: "0b4e7f0e-0000-4000-8000-000000000001", orgID: "o", linkID: "l", evidenceRequestID: "r",
            commentID: type == .comment ? 42 : nil, provider: "x", eventType: type, body: body, attempts: 1,
            externalID: ExternalTicketID(externalID), externalRef: ref)
    }

    static let commentBody = #"{"comment":{"author":"Zoë Auditor","body":"See it","id":42}}"#

    /// The body as a JSON value (objects compare whatever the key order).
    static func json(_ request: OutboundRequest) throws -> JSONValue { try JSONParser.parse(request.body) }

    // MARK: Jira (REST v2)

    static let jiraCloud = [
        "JIRA_BASE_URL": "https://grc.atlassian.net", "JIRA_API_TOKEN": "tok", "JIRA_PROJECT_KEY": "GRC",
        "JIRA_EMAIL": "bot@example.com", "JIRA_DEPLOYMENT": "cloud",
    ]
    static let jiraDataCenter = [
        "JIRA_BASE_URL": "https://jira.example.com", "JIRA_API_TOKEN": "pat", "JIRA_PROJECT_KEY": "GRC",
        "JIRA_DEPLOYMENT": "datacenter",
    ]

    /// Basic email:token on Cloud, Bearer with a personal access token on Data Center; JSON both ways.
    static func expectJiraHeaders(_ request: OutboundRequest, authorization: String, body: Bool) {
        #expect(request.headers["Authorization"] == authorization)
        #expect(request.headers["Accept"] == "application/json")
        #expect(request.headers["Content-Type"] == (body ? "application/json" : nil))
        #expect(request.headers["User-Agent"] == "ticketsync/\(TicketSyncVersion.current)")
    }

    @Test func jiraCommentIsAPostWithTheAttributedTextAndTheEventIdAsAProperty() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(#"{"id":"10100"}"#, status: 201)
        let jira = try Self.provider(.jira, Self.jiraCloud, http: http)
        let outcome = jira.deliver(
            Self.event(.comment, body: Self.commentBody, externalID: "GRC-12", ref: "10001"), timeouts: Self.timeouts)
        #expect(outcome == .delivered(externalCommentID: "10100", echo: nil))
        let sent = try #require(http.sent.only)
        #expect(sent.method == "POST")
        #expect(sent.url.absoluteString == "https://grc.atlassian.net/rest/api/2/issue/GRC-12/comment")
        Self.expectJiraHeaders(
            sent, authorization: "Basic " + Data("bot@example.com:tok".utf8).base64EncodedString(), body: true)
        #expect(
            try Self.json(sent)
                == .object([
                    "body": .string("See it\n\n— Zoë Auditor, via Ticket Sync"),
                    "properties": .array([
                        .object([
                            "key": .string("ticketsync"),
                            "value": .object(["event_id": .string("0b4e7f0e-0000-4000-8000-000000000001")]),
                        ])
                    ]),
                ]))
    }

    @Test func jiraCloseListsTransitionsThenPostsTheOneIntoDoneById() throws {
        let http = RecordingHTTP()
        http.script = { request, _ in
            request.method == "GET"
                ? Self.ok(
                    #"{"transitions":[{"id":"11","name":"Start","to":{"statusCategory":{"key":"indeterminate"}}},"#
                        + #"{"id":"31","name":"Finish","to":{"statusCategory":{"key":"done"}}}]}"#)
                : .response(status: 204, headers: [:], body: [])
        }
        let jira = try Self.provider(.jira, Self.jiraDataCenter, http: http)
        let outcome = jira.deliver(Self.event(.close, body: "{}", externalID: "GRC-12"), timeouts: Self.timeouts)
        #expect(outcome == .delivered(externalCommentID: nil, echo: nil))
        let sent = http.sent
        #expect(sent.map(\.method) == ["GET", "POST"])
        #expect(
            sent.map(\.url.absoluteString)
                == Array(repeating: "https://jira.example.com/rest/api/2/issue/GRC-12/transitions", count: 2))
        Self.expectJiraHeaders(sent[0], authorization: "Bearer pat", body: false)
        #expect(sent[0].body.isEmpty)
        Self.expectJiraHeaders(sent[1], authorization: "Bearer pat", body: true)
        #expect(try Self.json(sent[1]) == .object(["transition": .object(["id": .string("31")])]))
    }

    /// A resumed create looks for its label: `GET /search/jql` on Cloud, `GET /search` with `startAt` on Data Center.
    @Test func jiraLooksForTheCreationKeyLabelWithEachDeploymentsSearch() throws {
        let answer = Self.ok(#"{"issues":[{"id":"10001","key":"GRC-12"}]}"#)
        let cloudHTTP = RecordingHTTP()
        cloudHTTP.answer = answer
        let cloud = try #require(try Self.provider(.jira, Self.jiraCloud, http: cloudHTTP) as? JiraProvider)
        let found = try cloud.findIssue(labelled: "ticketsync-L1")
        #expect(found?.externalID == "GRC-12" && found?.externalRef == "10001")
        #expect(found?.externalURL == "https://grc.atlassian.net/browse/GRC-12")
        let cloudCall = try #require(cloudHTTP.sent.only)
        #expect(cloudCall.method == "GET" && cloudCall.body.isEmpty)
        #expect(cloudCall.url.path == "/rest/api/2/search/jql")
        #expect(
            cloudCall.url.query == "jql=labels%20%3D%20%22ticketsync-L1%22&fields=summary&maxResults=1")

        let dcHTTP = RecordingHTTP()
        dcHTTP.answer = answer
        let dataCenter = try #require(try Self.provider(.jira, Self.jiraDataCenter, http: dcHTTP) as? JiraProvider)
        _ = try dataCenter.findIssue(labelled: "ticketsync-L1")
        let dcCall = try #require(dcHTTP.sent.only)
        #expect(dcCall.url.path == "/rest/api/2/search")
        #expect(
            dcCall.url.query == "jql=labels%20%3D%20%22ticketsync-L1%22&fields=summary&startAt=0&maxResults=1")
        Self.expectJiraHeaders(dcCall, authorization: "Bearer pat", body: false)
    }

    // MARK: ServiceNow (Table API)

    static func serviceNow(auth: String) -> [String: String] {
        [
            "SERVICENOW_BASE_URL": "https://acme.service-now.com", "SERVICENOW_API_TOKEN": "sn-key",
            "SERVICENOW_AUTH": auth,
        ]
    }

    @Test func serviceNowCommentPatchesCommentsThenReadsTheJournalEntryBack() throws {
        let http = RecordingHTTP()
        let text = "See it\n\n— Zoë Auditor, via Ticket Sync (ref 0b4e7f0e)"
        http.script = { request, _ in
            request.method == "PATCH"
                ? Self.ok(#"{"result":{}}"#)
                : Self.ok(
                    String(
                        decoding: JSONValue.object([
                            "result": .array([.object(["sys_id": .string("j-1"), "value": .string(text)])])
                        ]).serialized(), as: UTF8.self))
        }
        let now = try Self.provider(.servicenow, Self.serviceNow(auth: "apikey"), http: http)
        let outcome = now.deliver(
            Self.event(.comment, body: Self.commentBody, externalID: "INC0010002", ref: "abc123"),
            timeouts: Self.timeouts)
        #expect(outcome == .delivered(externalCommentID: "j-1", echo: nil))
        let sent = http.sent
        #expect(sent.count == 2)
        let patch = sent[0]
        #expect(patch.method == "PATCH")
        #expect(patch.url.absoluteString == "https://acme.service-now.com/api/now/table/incident/abc123")
        #expect(patch.headers["x-sn-apikey"] == "sn-key" && patch.headers["Authorization"] == nil)
        #expect(patch.headers["Accept"] == "application/json" && patch.headers["Content-Type"] == "application/json")
        #expect(try Self.json(patch) == .object(["comments": .string(text)]))
        let journal = try #require(URLComponents(url: sent[1].url, resolvingAgainstBaseURL: false))
        #expect(sent[1].method == "GET" && journal.path == "/api/now/table/sys_journal_field")
        #expect(
            journal.queryItems == [
                URLQueryItem(
                    name: "sysparm_query", value: "element_id=abc123^element=comments^ORDERBYDESCsys_created_on"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id,value,sys_created_on"),
                URLQueryItem(name: "sysparm_limit", value: "1"),
            ])
    }

    @Test func serviceNowCloseSendsStateCodeAndNotesInOnePatchWithBearerWhenAsked() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(#"{"result":{}}"#)
        var environment = Self.serviceNow(auth: "bearer")
        environment["SERVICENOW_TABLE"] = "sn_grc_issue"
        environment["SERVICENOW_CLOSE_STATE"] = "7"
        environment["SERVICENOW_CLOSE_CODE"] = "Closed/Resolved by Caller"
        let now = try Self.provider(.servicenow, environment, http: http)
        let outcome = now.deliver(
            Self.event(.close, body: "{}", externalID: "ISS001", ref: "sys9"), timeouts: Self.timeouts)
        #expect(outcome == .delivered(externalCommentID: nil, echo: nil))
        let sent = try #require(http.sent.only)
        #expect(sent.method == "PATCH")
        #expect(sent.url.absoluteString == "https://acme.service-now.com/api/now/table/sn_grc_issue/sys9")
        #expect(sent.headers["Authorization"] == "Bearer sn-key" && sent.headers["x-sn-apikey"] == nil)
        #expect(sent.headers["Accept"] == "application/json" && sent.headers["Content-Type"] == "application/json")
        #expect(
            try Self.json(sent)
                == .object([
                    "state": .string("7"), "close_code": .string("Closed/Resolved by Caller"),
                    "close_notes": .string("Closed from Ticket Sync."),
                ]))
    }

    @Test func serviceNowLooksForTheCreationKeyByCorrelationId() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(#"{"result":[{"sys_id":"abc123","number":"INC0010002"}]}"#)
        let now = try #require(
            try Self.provider(.servicenow, Self.serviceNow(auth: "apikey"), http: http) as? ServiceNowProvider)
        let found = try now.findRecord(correlated: "ticketsync-L1")
        #expect(found?.externalID == "INC0010002" && found?.externalRef == "abc123")
        #expect(found?.externalURL == "https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id=abc123")
        let sent = try #require(http.sent.only)
        let url = try #require(URLComponents(url: sent.url, resolvingAgainstBaseURL: false))
        #expect(sent.method == "GET" && sent.body.isEmpty && sent.headers["Content-Type"] == nil)
        #expect(url.path == "/api/now/table/incident")
        #expect(
            url.queryItems == [
                URLQueryItem(name: "sysparm_query", value: "correlation_id=ticketsync-L1"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id,number"),
                URLQueryItem(name: "sysparm_limit", value: "1"),
            ])
    }

    // MARK: Generic webhook

    static let webhook = ["TICKET_WEBHOOK_URL": "http://127.0.0.1:9/hook", "TICKET_WEBHOOK_SECRET": "s3cret,old"]

    /// The event's bytes as documented (the fixture), signed with the first secret both ways.
    @Test(arguments: ["ticket.comment", "ticket.close"])
    func webhookPostsTheEventBytesSignedBothWays(fixture: String) throws {
        let bytes = try Data(contentsOf: EventPayloadTests.fixtures.appendingPathComponent("\(fixture).json"))
        let body = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        let http = RecordingHTTP()
        let hook = try Self.provider(.webhook, Self.webhook, http: http)
        let type = try #require(OutboxEvent.EventType(rawValue: fixture))
        let event = Self.event(type, body: body, externalID: "wh-7")
        #expect(hook.deliver(event, timeouts: Self.timeouts) == .delivered(externalCommentID: nil, echo: nil))
        let sent = try #require(http.sent.only)
        #expect(sent.method == "POST" && sent.url.absoluteString == "http://127.0.0.1:9/hook")
        #expect(sent.body == Array(body.utf8))
        Self.expectWebhookHeaders(sent, type: fixture, eventID: event.eventID)
    }

    /// `X-Signature: sha256=<hex>` and Standard Webhooks' `v1,<base64>` over `<id>.<timestamp>.<body>`, both keyed
    /// with the first secret (computed here from the HMAC, not with the provider's own signer).
    static func expectWebhookHeaders(_ sent: OutboundRequest, type: String, eventID: String) {
        let key = Array("s3cret".utf8)
        #expect(sent.headers["Content-Type"] == "application/json")
        #expect(sent.headers["X-Event-Type"] == type)
        #expect(sent.headers["X-Event-Id"] == eventID)
        #expect(sent.headers["X-Signature"] == "sha256=" + Hex.encode(Crypto.hmacSHA256(key: key, message: sent.body)))
        #expect(sent.headers["webhook-id"] == eventID)
        let timestamp = sent.headers["webhook-timestamp"] ?? ""
        #expect(Int64(timestamp).map { abs($0 - StandardWebhookSignature.now()) < 300 } == true)
        let signed = Crypto.hmacSHA256(key: key, message: Array("\(eventID).\(timestamp).".utf8) + sent.body)
        #expect(sent.headers["webhook-signature"] == "v1," + Data(signed).base64EncodedString())
    }

    // MARK: Mock

    @Test func mockSendsNothingAndEchoesEachComment() throws {
        let http = RecordingHTTP()
        let mock = try Self.provider(.mock, [:], http: http)
        let outcome = mock.deliver(
            Self.event(.comment, body: Self.commentBody, externalID: "mock-TCK-3"), timeouts: Self.timeouts)
        #expect(
            outcome
                == .delivered(
                    externalCommentID: "mock-TCK-3-c42",
                    echo: ExternalReply(
                        externalCommentID: "mock-TCK-3-echo-42", author: "mock-TCK-3 (ext)",
                        body: "Received on mock-TCK-3: See it")))
        #expect(
            mock.deliver(Self.event(.close, body: "{}", externalID: "mock-TCK-3"), timeouts: Self.timeouts)
                == .delivered(externalCommentID: nil, echo: nil))
        #expect(http.sent.isEmpty)
    }
}

extension Array {
    /// The single element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
