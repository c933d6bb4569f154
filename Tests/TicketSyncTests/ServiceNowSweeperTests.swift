import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// ServiceNow's sweep (docs/trackers/servicenow.md, "Sweeps") through a recording client: the Table API and
/// sys_journal_field requests as sent, the answers as read, and the `Link` header's next page, followed only on the
/// connection's own instance.
struct ServiceNowSweeperTests {
    static let base = "https://acme.service-now.com"
    static let timeouts = HTTPTimeouts(connect: 1, total: 1)
    /// 2026-12-04 20:00:00.750 UTC.
    static let since: Int64 = 1_796_414_400_750

    static func sweeper(_ http: RecordingHTTP, environment extra: [String: String] = [:]) throws -> ServiceNowSweeper {
        let environment = [
            "SERVICENOW_BASE_URL": base, "SERVICENOW_API_TOKEN": "sn-key", "SERVICENOW_AUTH": "apikey",
        ].merging(extra) { $1 }
        let provider = try ProviderRegistry(settings: Settings(environment: environment), http: http).provider(
            .servicenow)
        return ServiceNowSweeper(provider: try #require(provider as? ServiceNowProvider))
    }

    static func answer(_ json: JSONValue, status: Int = 200, headers: [String: String] = [:]) -> OutboundResult {
        .response(
            status: status, headers: headers.merging(["content-type": "application/json"]) { $1 },
            body: json.serialized())
    }

    static func record(
        _ sysID: String, _ number: String, state: String, name: String, updated: String, by: String = "ts.integration"
    ) -> JSONValue {
        let both = { (value: String, display: String) in
            JSONValue.object(["value": .string(value), "display_value": .string(display)])
        }
        return .object([
            "sys_id": both(sysID, sysID), "number": both(number, number), "state": both(state, name),
            // Display values are in the account's time zone: never read.
            "sys_updated_on": both(updated, "04-12-2026 21:00:01"), "sys_created_by": both(by, by),
        ])
    }

    static func entry(_ sysID: String, record: String, _ text: String, by: String) -> JSONValue {
        .object([
            "sys_id": .string(sysID), "element_id": .string(record), "value": .string(text),
            "sys_created_on": .string("2026-12-04 20:00:05"), "sys_created_by": .string(by),
        ])
    }

    static func query(_ request: OutboundRequest) throws -> [String: String] {
        let items = try #require(URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems)
        return Dictionary(items.map { ($0.name, $0.value ?? "") }) { $1 }
    }

    static let nextLink =
        "<\(base)/api/now/table/incident?sysparm_limit=100&sysparm_offset=0>;rel=\"first\","
        + "<\(base)/api/now/table/incident?sysparm_limit=100&sysparm_fields=sys_id,number&sysparm_offset=100>;"
        + "rel=\"next\",<\(base)/api/now/table/incident?sysparm_limit=100&sysparm_offset=300>;rel=\"last\""

    @Test func changesAskForOurRecordsUpdatedSinceTheCursorThenTheirComments() throws {
        let http = RecordingHTTP()
        http.script = { request, index in
            guard index == 0 else {
                return Self.answer(
                    .object([
                        "result": .array([
                            Self.entry("j1", record: "s1", "Attached the export.", by: "beth.anglin"),
                            Self.entry("j2", record: "s1", "Mine\n\n— Zoë, via Ticket Sync (ref 0b4e7f0e)", by: "x"),
                            Self.entry("j3", record: "s2", "From the integration account", by: "ts.integration"),
                            Self.entry("j4", record: "s2", "Looks good", by: "abel.tuter"),
                        ])
                    ]))
            }
            return Self.answer(
                .object([
                    "result": .array([
                        Self.record("s1", "INC0010001", state: "6", name: "Resolved", updated: "2026-12-04 20:00:01"),
                        Self.record(
                            "s2", "INC0010002", state: "2", name: "In Progress", updated: "2026-12-04 20:03:00"),
                    ])
                ]), headers: ["link": Self.nextLink])
        }
        let page = try Self.sweeper(http).changes(since: Self.since, page: nil)

        let sent = http.sent
        #expect(sent.count == 2)
        let table = try #require(sent.first)
        #expect(table.method == "GET" && table.url.path == "/api/now/table/incident" && table.body.isEmpty)
        #expect(table.headers["x-sn-apikey"] == "sn-key" && table.headers["Authorization"] == nil)
        #expect(table.headers["Accept"] == "application/json" && table.headers["Content-Type"] == nil)
        #expect(
            try Self.query(table) == [
                "sysparm_query":
                    "correlation_idSTARTSWITHticketsync-^sys_updated_on>=2026-12-04 20:00:00"
                    + "^ORDERBYsys_updated_on^ORDERBYsys_id",
                "sysparm_fields": "sys_id,number,state,sys_updated_on,sys_created_by",
                "sysparm_display_value": "all", "sysparm_limit": "100",
            ])
        let journal = try #require(sent.last)
        #expect(journal.method == "GET" && journal.url.path == "/api/now/table/sys_journal_field")
        #expect(journal.headers["x-sn-apikey"] == "sn-key")
        #expect(
            try Self.query(journal) == [
                "sysparm_query":
                    "element=comments^element_idINs1,s2^sys_created_on>=2026-12-04 20:00:00"
                    + "^ORDERBYsys_created_on^ORDERBYsys_id",
                "sysparm_fields": "sys_id,element_id,value,sys_created_on,sys_created_by",
                "sysparm_display_value": "false", "sysparm_limit": "500",
            ])

        // Times from the UTC values; the state's name from its display value; ours left out (signed, or by the
        // account that created the record).
        #expect(
            page.tickets == [
                SweptTicket(
                    externalID: "INC0010001",
                    status: TrackerStatusChange(
                        name: "Resolved", category: .done, state: "6", milliseconds: 1_796_414_401_000, actor: nil),
                    comments: [
                        InboundEvent.ExternalComment(
                            externalCommentID: "j1", author: "beth.anglin", body: "Attached the export.")
                    ], changedAt: 1_796_414_401_000),
                SweptTicket(
                    externalID: "INC0010002",
                    status: TrackerStatusChange(
                        name: "In Progress", category: .indeterminate, state: "2", milliseconds: 1_796_414_580_000,
                        actor: nil),
                    comments: [
                        InboundEvent.ExternalComment(externalCommentID: "j4", author: "abel.tuter", body: "Looks good")
                    ], changedAt: 1_796_414_580_000),
            ])
        // The next page as its path and query only, exactly as ServiceNow wrote it.
        #expect(
            page.next == "/api/now/table/incident?sysparm_limit=100&sysparm_fields=sys_id,number&sysparm_offset=100")
    }

    @Test func theNextPageIsAskedOfTheSameInstanceAsLinkedAndTheLastPageEnds() throws {
        let http = RecordingHTTP()
        http.answer = Self.answer(.object(["result": .array([])]))
        let token = "/api/now/table/incident?sysparm_limit=100&sysparm_query=a%5Eb&sysparm_offset=100"
        let page = try Self.sweeper(http).changes(since: Self.since, page: token)
        #expect(page == SweepPage(tickets: [], next: nil))
        // No records: no journal call.
        let sent = try #require(http.sent.only)
        #expect(sent.url.absoluteString == Self.base + token)
        #expect(sent.headers["x-sn-apikey"] == "sn-key" && sent.headers["Accept"] == "application/json")
    }

    @Test(arguments: [
        "https://evil.example/api/now/table/incident?sysparm_offset=100",
        "http://acme.service-now.com/api/now/table/incident?sysparm_offset=100",
        "https://acme.service-now.com:8443/api/now/table/incident?sysparm_offset=100",
        "//evil.example/api/now/table/incident?sysparm_offset=100",
    ])
    func aNextPageOnAnotherHostIsNeverFollowed(next: String) throws {
        let http = RecordingHTTP()
        http.answer = Self.answer(.object(["result": .array([])]), headers: ["link": "<\(next)>;rel=\"next\""])
        #expect {
            try Self.sweeper(http).changes(since: Self.since, page: nil)
        } throws: { error in
            guard let error = error as? TrackerError, case .failed(let words) = error.reason else { return false }
            return words.contains("not followed")
        }
        #expect(http.sent.count == 1)
    }

    @Test func aPageTokenThatIsNotOfTheTableIsRefusedUnsent() throws {
        let http = RecordingHTTP()
        for token in ["/api/now/table/sys_user?x=1", "https://evil.example/api/now/table/incident?x=1", "@evil/x"] {
            #expect(throws: TrackerError.self) { try Self.sweeper(http).changes(since: 0, page: token) }
        }
        #expect(http.sent.isEmpty)
    }

    @Test func aBaseURLWithAPathKeepsItsPathOnTheNextPage() throws {
        let http = RecordingHTTP()
        http.answer = Self.answer(
            .object(["result": .array([])]),
            headers: ["link": "<https://proxy.example/sn/api/now/table/incident?sysparm_offset=100>;rel=\"next\""])
        let sweeper = try Self.sweeper(http, environment: ["SERVICENOW_BASE_URL": "https://proxy.example/sn"])
        let page = try sweeper.changes(since: Self.since, page: nil)
        #expect(page.next == "/api/now/table/incident?sysparm_offset=100")
        _ = try sweeper.changes(since: Self.since, page: page.next)
        #expect(
            http.sent.last?.url.absoluteString == "https://proxy.example/sn/api/now/table/incident?sysparm_offset=100")
    }

    @Test func aRateLimitBacksTheSweepOffByRetryAfter() throws {
        let http = RecordingHTTP()
        http.answer = Self.answer(
            .object(["error": .object(["message": .string("Rate limit exceeded")]), "status": .string("failure")]),
            status: 429, headers: ["retry-after": "7"])
        #expect {
            try Self.sweeper(http).changes(since: Self.since, page: nil)
        } throws: { error in
            guard let error = error as? TrackerError, case .unavailable(_, let retryAfter) = error.reason else {
                return false
            }
            return retryAfter == 7 && !error.outcomeUnknown
        }
    }

    static func link(ref: String?) -> TicketLink {
        TicketLink(
            id: "l1", orgID: "o", evidenceRequestID: "r", provider: "servicenow", connectionID: nil,
            externalID: "INC0010001", externalURL: nil, externalRef: ref, syncState: .synced, lastError: nil,
            createdAt: "", updatedAt: "", closedAt: nil)
    }

    @Test func lookupReadsTheRecordBySysIdThenAllItsComments() throws {
        let http = RecordingHTTP()
        http.script = { request, index in
            index == 0
                ? Self.answer(
                    .object([
                        "result": Self.record(
                            "s1", "INC0010001", state: "2", name: "In Progress", updated: "2026-12-04 20:00:01")
                    ]))
                : Self.answer(
                    .object(["result": .array([Self.entry("j1", record: "s1", "Reopened: wrong file", by: "beth")])]))
        }
        let swept = try Self.sweeper(http).lookup(Self.link(ref: "s1"))
        #expect(swept.externalID == "INC0010001" && !swept.deleted)
        #expect(swept.status?.name == "In Progress" && swept.status?.category == .indeterminate)
        #expect(swept.comments.map(\.externalCommentID) == ["j1"])
        let sent = http.sent
        #expect(sent.count == 2)
        #expect(sent.first?.url.path == "/api/now/table/incident/s1")
        #expect(
            try Self.query(try #require(sent.first)) == [
                "sysparm_fields": "sys_id,number,state,sys_updated_on,sys_created_by", "sysparm_display_value": "all",
            ])
        #expect(
            try Self.query(try #require(sent.last))["sysparm_query"]
                == "element=comments^element_id=s1^ORDERBYsys_created_on^ORDERBYsys_id")
    }

    @Test func lookupOfADeletedRecordIsGone() throws {
        let http = RecordingHTTP()
        http.answer = Self.answer(
            .object([
                "error": .object([
                    "message": .string("No Record found"),
                    "detail": .string("Record doesn't exist or ACL restricts the record retrieval"),
                ]), "status": .string("failure"),
            ]), status: 404)
        #expect(try Self.sweeper(http).lookup(Self.link(ref: "s1")) == .gone("INC0010001"))
        #expect(http.sent.count == 1)
    }

    @Test func lookupWithoutASysIdFindsTheRecordByNumber() throws {
        let http = RecordingHTTP()
        http.answer = Self.answer(.object(["result": .array([])]))
        #expect(try Self.sweeper(http).lookup(Self.link(ref: nil)) == .gone("INC0010001"))
        let sent = try #require(http.sent.only)
        #expect(sent.url.path == "/api/now/table/incident")
        #expect(try Self.query(sent)["sysparm_query"] == "number=INC0010001")
    }

    @Test func anUnreadableJournalSweepsTheStateAlone() throws {
        let http = RecordingHTTP()
        http.script = { _, index in
            index == 0
                ? Self.answer(
                    .object([
                        "result": Self.record(
                            "s1", "INC0010001", state: "6", name: "Resolved", updated: "2026-12-04 20:00:01")
                    ]))
                : Self.answer(.object(["error": .object(["message": .string("User Not Authorized")])]), status: 403)
        }
        let swept = try Self.sweeper(http).lookup(Self.link(ref: "s1"))
        #expect(swept.status?.category == .done && swept.comments.isEmpty)
    }

    @Test func journalPagesAreFollowedToo() throws {
        let http = RecordingHTTP()
        http.script = { _, index in
            switch index {
            case 0:
                Self.answer(
                    .object([
                        "result": Self.record(
                            "s1", "INC0010001", state: "1", name: "New", updated: "2026-12-04 20:00:01")
                    ]))
            case 1:
                Self.answer(
                    .object(["result": .array([Self.entry("j1", record: "s1", "one", by: "beth")])]),
                    headers: [
                        "link": "<\(Self.base)/api/now/table/sys_journal_field?sysparm_offset=500>;rel=\"next\""
                    ])
            default:
                Self.answer(.object(["result": .array([Self.entry("j2", record: "s1", "two", by: "beth")])]))
            }
        }
        let swept = try Self.sweeper(http).lookup(Self.link(ref: "s1"))
        #expect(swept.comments.map(\.body) == ["one", "two"])
        #expect(http.sent.last?.url.absoluteString == "\(Self.base)/api/now/table/sys_journal_field?sysparm_offset=500")
    }

    @Test func linkHeadersAreReadBetweenTheirAngleBrackets() {
        #expect(ServiceNowSweeper.linkTarget(Self.nextLink, rel: "next")?.hasSuffix("sysparm_offset=100") == true)
        #expect(ServiceNowSweeper.linkTarget("<https://a/x?a=1,2>; rel=next", rel: "next") == "https://a/x?a=1,2")
        #expect(
            ServiceNowSweeper.linkTarget("<https://a/1>;rel=\"prev\", <https://a/2>;rel=\"last\"", rel: "next") == nil)
        #expect(ServiceNowSweeper.linkTarget("<https://a/1>;rel=\"next last\"", rel: "next") == "https://a/1")
        #expect(ServiceNowSweeper.linkTarget("garbage", rel: "next") == nil)
    }

    @Test func encodedQueryTimesAreUTCSecondsRoundedDown() {
        #expect(ServiceNowSweeper.glideTime(Self.since) == "2026-12-04 20:00:00")
        #expect(ServiceNowSweeper.glideTime(0) == "1970-01-01 00:00:00")
        #expect(ServiceNowSweeper.glideTime(-5) == "1970-01-01 00:00:00")
    }

    @Test func ourSignatureLineIsRecognised() {
        #expect(ServiceNowProvider.isSigned("See it\n\n— Zoë Auditor, via Ticket Sync (ref 0b4e7f0e)"))
        #expect(ServiceNowProvider.isSigned("See it\n\n— Zoë, via Ticket Sync (ref 0b4e7f0e)\n"))
        #expect(!ServiceNowProvider.isSigned("Quoting: — Zoë, via Ticket Sync (ref 0b4e7f0e) — please check"))
        #expect(!ServiceNowProvider.isSigned("— Zoë, via Ticket Sync (ref nothex!!)"))
        #expect(!ServiceNowProvider.isSigned("Plain reply"))
    }
}
