import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Each tracker's create request against its documented wire format (docs/trackers/*.md), through a recording
/// client. Here rather than with the other wire-format checks (TrackerWireFormatTests, unit target) because a create
/// takes a database connection: the webhook and mock mint their numbers in PostgreSQL.
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct TrackerCreateWireFormatTests {
    static let request = EvidenceRequest(
        id: "aaaaaaaa-0000-4000-8000-000000000001", orgID: "11111111-1111-4111-8111-111111111111",
        title: "SOC 2 CC6.1 — access review", description: "Q3 review", status: .open)

    static func provider(_ kind: ProviderKind, _ environment: [String: String], http: RecordingHTTP) throws
        -> any TicketProvider
    {
        try ProviderRegistry(settings: Settings(environment: environment), http: http).provider(kind)
    }

    static func ok(_ status: Int, _ json: String) -> OutboundResult {
        .response(status: status, headers: [:], body: Array(json.utf8))
    }

    /// `POST /rest/api/2/issue` with project.key, summary, description (with the link back), issuetype.name and the
    /// creation key as the only label; Basic auth on Cloud.
    @Test func jiraCreatesAnIssueLabelledWithTheCreationKey() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(201, #"{"id":"10001","key":"GRC-12"}"#)
        let jira = try Self.provider(
            .jira,
            [
                "JIRA_BASE_URL": "https://grc.atlassian.net", "JIRA_API_TOKEN": "tok", "JIRA_PROJECT_KEY": "GRC",
                "JIRA_EMAIL": "bot@example.com", "JIRA_ISSUE_TYPE": "Evidence",
                "PUBLIC_BASE_URL": "https://grc.example.com",
            ], http: http)
        let ticket = try jira.createTicket(
            TicketDraft(request: Self.request), key: CreationKey(linkID: "L1"))
        #expect(ticket.externalID == "GRC-12" && ticket.externalRef == "10001")
        #expect(ticket.externalURL == "https://grc.atlassian.net/browse/GRC-12")
        let sent = try #require(http.sent.only)
        #expect(sent.method == "POST" && sent.url.absoluteString == "https://grc.atlassian.net/rest/api/2/issue")
        #expect(sent.headers["Authorization"] == "Basic " + Data("bot@example.com:tok".utf8).base64EncodedString())
        #expect(sent.headers["Content-Type"] == "application/json" && sent.headers["Accept"] == "application/json")
        let fields = try #require(try JSONParser.parse(sent.body)["fields"])
        #expect(fields["project"] == .object(["key": .string("GRC")]))
        #expect(fields["summary"] == .string("SOC 2 CC6.1 — access review"))
        #expect(fields["issuetype"] == .object(["name": .string("Evidence")]))
        #expect(fields["labels"] == .array([.string("ticketsync-L1"), .string("ticketsync")]))
        #expect(
            fields["description"]
                == .string(
                    "Q3 review\n\nEvidence request: https://grc.example.com/orgs/11111111-1111-4111-8111-111111111111"
                        + "/evidence-requests/aaaaaaaa-0000-4000-8000-000000000001"))
        guard case .object(let members) = fields else { return }
        #expect(Set(members.keys) == ["project", "summary", "description", "issuetype", "labels"])
    }

    /// `POST /api/now/table/<table>?sysparm_fields=sys_id,number` with short_description, description,
    /// correlation_id (the creation key) and correlation_display; `x-sn-apikey` by default.
    @Test func serviceNowCreatesARecordCorrelatedWithTheCreationKey() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(201, #"{"result":{"sys_id":"abc123","number":"INC0010002"}}"#)
        let now = try Self.provider(
            .servicenow, ["SERVICENOW_BASE_URL": "https://acme.service-now.com", "SERVICENOW_API_TOKEN": "sn-key"],
            http: http)
        let ticket = try now.createTicket(TicketDraft(request: Self.request), key: CreationKey(linkID: "L1"))
        #expect(ticket.externalID == "INC0010002" && ticket.externalRef == "abc123")
        let sent = try #require(http.sent.only)
        let url = try #require(URLComponents(url: sent.url, resolvingAgainstBaseURL: false))
        #expect(sent.method == "POST" && url.path == "/api/now/table/incident")
        #expect(url.queryItems == [URLQueryItem(name: "sysparm_fields", value: "sys_id,number")])
        #expect(sent.headers["x-sn-apikey"] == "sn-key" && sent.headers["Authorization"] == nil)
        #expect(sent.headers["Content-Type"] == "application/json" && sent.headers["Accept"] == "application/json")
        #expect(
            try JSONParser.parse(sent.body)
                == .object([
                    "short_description": .string("SOC 2 CC6.1 — access review"), "description": .string("Q3 review"),
                    "correlation_id": .string("ticketsync-L1"), "correlation_display": .string("Ticket Sync"),
                ]))
    }

    /// The `ticket.create` event has the documented shape (the fixture's members), the minted `wh-<n>`, and is
    /// signed both ways with the link's id as its event id.
    @Test func webhookSendsTheCreateEventWithTheFixturesShape() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../TicketSyncTests/Fixtures/ticket.create.json")
        let documented = try JSONParser.parse([UInt8](try Data(contentsOf: fixture)))
        let http = RecordingHTTP()
        http.answer = Self.ok(200, "")
        let hook = try Self.provider(
            .webhook, ["TICKET_WEBHOOK_URL": "http://127.0.0.1:9/hook", "TICKET_WEBHOOK_SECRET": "s3cret"],
            http: http)
        let linkID = UUID().uuidString.lowercased()
        let key = CreationKey(linkID: TicketLinkID(linkID))
        let minted = try CreationKey.mint(key.text, from: try #require(hook.mintedSequence), db: TestDatabase.connect())
        let ticket = try hook.createTicket(
            TicketDraft(request: Self.request), key: CreationKey(linkID: TicketLinkID(linkID), mintedNumber: minted))
        #expect(ticket.externalID.rawValue.hasPrefix("wh-"))
        let sent = try #require(http.sent.only)
        #expect(sent.method == "POST" && sent.url.absoluteString == "http://127.0.0.1:9/hook")
        #expect(sent.headers["X-Event-Type"] == "ticket.create" && sent.headers["X-Event-Id"] == linkID)
        #expect(sent.headers["webhook-id"] == linkID && sent.headers["Content-Type"] == "application/json")
        #expect(
            sent.headers["X-Signature"]
                == "sha256=" + Hex.encode(Crypto.hmacSHA256(key: Array("s3cret".utf8), message: sent.body)))
        let body = try JSONParser.parse(sent.body)
        guard case .object(let members) = body, case .object(let expected) = documented,
            case .object(let request)? = body["evidence_request"],
            case .object(let expectedRequest)? = documented["evidence_request"]
        else {
            Issue.record("not objects")
            return
        }
        #expect(Set(members.keys) == Set(expected.keys))
        #expect(Set(request.keys) == Set(expectedRequest.keys))
        #expect(body["event_type"] == .string("ticket.create") && body["event_id"] == .string(linkID))
        #expect(body["external_id"] == .string(ticket.externalID.rawValue))
        #expect(body["evidence_request"]?["title"] == .string("SOC 2 CC6.1 — access review"))
    }

    /// The mock contacts nothing and mints one number per creation key.
    @Test func mockSendsNothingAndMintsOneNumberPerKey() throws {
        let http = RecordingHTTP()
        let mock = try Self.provider(.mock, [:], http: http)
        let key = CreationKey(linkID: TicketLinkID(UUID().uuidString.lowercased()))
        let db = try TestDatabase.connect()
        let sequence = try #require(mock.mintedSequence)
        let first = try mock.createTicket(
            TicketDraft(request: Self.request),
            key: CreationKey(linkID: key.linkID, mintedNumber: try CreationKey.mint(key.text, from: sequence, db: db)))
        let again = try mock.createTicket(
            TicketDraft(request: Self.request),
            key: CreationKey(
                linkID: key.linkID, resumed: true,
                mintedNumber: try CreationKey.mint(key.text, from: sequence, db: db)))
        #expect(first.externalID.rawValue.hasPrefix("mock-TCK-") && first == again)
        #expect(http.sent.isEmpty)
    }
}
