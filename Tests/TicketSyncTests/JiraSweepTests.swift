import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Jira's sweep through a recording client: the requests (paths, JQL, bodies, auth) each deployment documents, and
/// how their answers become swept tickets (ADF bodies as text, paging, the integration account's comments left out).
struct JiraSweepTests {
    static let cloud = TrackerWireFormatTests.jiraCloud
    static let dataCenter = TrackerWireFormatTests.jiraDataCenter

    static func sweeper(_ environment: [String: String], http: RecordingHTTP) throws -> JiraSweeper {
        let provider = try TrackerWireFormatTests.provider(.jira, environment, http: http)
        return JiraSweeper(jira: try #require(provider as? JiraProvider))
    }

    static func ok(_ json: String, status: Int = 200, headers: [String: String] = [:]) -> OutboundResult {
        .response(
            status: status, headers: ["content-type": "application/json"].merging(headers) { $1 },
            body: Array(json.utf8))
    }

    static let cloudMyself = #"{"accountId":"5b10ac8d82e05b22cc7d4ef5","displayName":"Bot","timeZone":"Asia/Kolkata"}"#
    static let dataCenterMyself = #"{"name":"ticketsync","key":"JIRAUSER10000","timeZone":"Europe/Berlin"}"#

    /// 2026-01-17T12:34:56.789Z
    static let since: Int64 = 1_768_653_296_789

    static func adf(_ text: String) -> String {
        #"{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"\#(text)"}]}]}"#
    }

    /// One page of `/issue/{key}/comment` with one comment.
    static func commentPage(start: Int, id: String, text: String) -> OutboundResult {
        ok(
            #"{"startAt":\#(start),"maxResults":1,"total":3,"comments":[{"id":"\#(id)","#
                + #""author":{"accountId":"u\#(id)","displayName":"\#(id)"},"body":\#(adf(text))}]}"#)
    }

    static func link(_ key: String) -> TicketLink {
        TicketLink(
            id: "L1", orgID: "o", evidenceRequestID: "r", provider: "jira", connectionID: nil, externalID: ExternalTicketID(key),
            externalURL: nil, externalRef: "10001", syncState: .synced, lastError: nil, createdAt: "", updatedAt: "",
            closedAt: nil)
    }

    // MARK: Cloud

    @Test func cloudSearchesTheProjectsLabelledIssuesSinceTheCursorInTheAccountsZoneThroughV3() throws {
        let http = RecordingHTTP()
        let page = """
            {"isLast":false,"nextPageToken":"tok-2","issues":[{"id":"10001","key":"GRC-1","fields":{
              "updated":"2026-01-17T18:10:00.000+0530",
              "status":{"name":"Ready for audit","statusCategory":{"key":"done"}},
              "comment":{"startAt":0,"maxResults":20,"total":2,"comments":[
                {"id":"100","author":{"accountId":"5b10ac8d82e05b22cc7d4ef5","displayName":"Bot"},
                 "body":\(Self.adf("ours, pushed"))},
                {"id":"101","author":{"accountId":"5a1b","displayName":"Jane Auditor"},
                 "body":\(Self.adf("Attached the report."))}]}}}]}
            """
        http.script = { request, _ in
            request.url.path.hasSuffix("/myself") ? Self.ok(Self.cloudMyself) : Self.ok(page)
        }
        let swept = try Self.sweeper(Self.cloud, http: http).changes(since: Self.since, page: nil)

        let sent = http.sent
        #expect(
            sent.map(\.url.absoluteString) == [
                "https://grc.atlassian.net/rest/api/2/myself", "https://grc.atlassian.net/rest/api/3/search/jql",
            ])
        let search = try #require(sent.last)
        #expect(search.method == "POST")
        TrackerWireFormatTests.expectJiraHeaders(
            search, authorization: "Basic " + Data("bot@example.com:tok".utf8).base64EncodedString(), body: true)
        // 12:34:56Z is 18:04 in Kolkata (+05:30), rounded down to the minute.
        #expect(
            try TrackerWireFormatTests.json(search)
                == .object([
                    "jql": .string(
                        #"project = "GRC" AND labels = "ticketsync" AND updated >= "2026/01/17 18:04""#
                            + " ORDER BY updated ASC"),
                    "fields": .array([.string("status"), .string("updated"), .string("comment")]),
                    "maxResults": .number(50),
                ]))

        #expect(swept.next == "tok-2")
        let updated: Int64 = 1_768_653_600_000  // 2026-01-17T12:40:00Z
        #expect(
            swept.tickets == [
                SweptTicket(
                    externalID: "GRC-1",
                    status: TrackerStatusChange(
                        name: "Ready for audit", category: .done, state: nil, milliseconds: updated, actor: nil),
                    comments: [
                        .init(externalCommentID: "101", author: "Jane Auditor", body: "Attached the report.")
                    ],
                    changedAt: updated)
            ])
    }

    @Test func cloudFollowsTheTokenAndStopsOnTheLastPage() throws {
        let http = RecordingHTTP()
        http.script = { request, _ in
            request.url.path.hasSuffix("/myself") ? Self.ok(Self.cloudMyself) : Self.ok(#"{"issues":[],"isLast":true}"#)
        }
        let sweeper = try Self.sweeper(Self.cloud, http: http)
        let last = try sweeper.changes(since: Self.since, page: "tok-2")
        #expect(last == SweepPage(tickets: [], next: nil))
        #expect(try TrackerWireFormatTests.json(try #require(http.sent.last))["nextPageToken"] == .string("tok-2"))
        // The account is asked once per process.
        _ = try sweeper.changes(since: Self.since, page: nil)
        #expect(http.sent.filter { $0.url.path.hasSuffix("/myself") }.count == 1)
    }

    @Test func commentsPastTheEmbeddedOnesAreReadPageByPage() throws {
        let http = RecordingHTTP()
        let issue = """
            {"id":"10001","key":"GRC-1","fields":{"updated":"2026-01-17T12:40:00.000+0000",
              "status":{"name":"To Do","statusCategory":{"key":"new"}},
              "comment":{"startAt":0,"maxResults":1,"total":3,"comments":[
                {"id":"1","author":{"accountId":"u1","displayName":"A"},"body":\(Self.adf("one"))}]}}}
            """
        http.script = { request, _ in
            switch request.url.path {
            case "/rest/api/2/myself": Self.ok(Self.cloudMyself)
            case "/rest/api/3/issue/GRC-1":
                Self.ok(issue)
            default:
                request.url.query?.contains("startAt=1&") == true
                    ? Self.commentPage(start: 1, id: "2", text: "two")
                    : Self.commentPage(start: 2, id: "3", text: "three")
            }
        }
        let ticket = try Self.sweeper(Self.cloud, http: http).lookup(Self.link("GRC-1"))
        #expect(ticket.comments.map(\.body) == ["one", "two", "three"])
        #expect(
            http.sent.map(\.url.absoluteString) == [
                "https://grc.atlassian.net/rest/api/3/issue/GRC-1?fields=status,updated,comment",
                "https://grc.atlassian.net/rest/api/3/issue/GRC-1/comment?startAt=1&maxResults=100&orderBy=created",
                "https://grc.atlassian.net/rest/api/3/issue/GRC-1/comment?startAt=2&maxResults=100&orderBy=created",
                "https://grc.atlassian.net/rest/api/2/myself",
            ])
        #expect(http.sent.allSatisfy { $0.method == "GET" })
    }

    @Test func aLookupAnsweredNotFoundIsADeletedTicketAndOneWithoutCommentsAsksNoAccount() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(
            #"{"errorMessages":["Issue does not exist or you do not have permission to see it."]}"#, status: 404)
        #expect(try Self.sweeper(Self.cloud, http: http).lookup(Self.link("GRC-9")) == .gone("GRC-9"))
        // A 404 that is not Jira's (a wrong base URL, a proxy's page) deletes nothing.
        http.answer = .response(
            status: 404, headers: ["content-type": "text/html"], body: Array("<h1>Not Found</h1>".utf8))
        #expect(throws: TrackerError.self) { try Self.sweeper(Self.cloud, http: http).lookup(Self.link("GRC-9")) }

        http.answer = Self.ok(
            #"{"key":"NEW-4","fields":{"updated":"2026-01-17T12:40:00.000Z","comment":{"total":0,"comments":[]},"#
                + #""status":{"name":"In Progress","statusCategory":{"key":"indeterminate"}}}}"#
        )
        let moved = try Self.sweeper(Self.cloud, http: http).lookup(Self.link("GRC-1"))
        #expect(moved.externalID == "GRC-1", "reported as the link has it")
        #expect(moved.status?.category == .indeterminate && !moved.deleted)
        #expect(!http.sent.contains { $0.url.path.hasSuffix("/myself") })
    }

    @Test func aRateLimitedSearchBacksOffByRetryAfter() throws {
        let http = RecordingHTTP()
        http.script = { request, _ in
            request.url.path.hasSuffix("/myself")
                ? Self.ok(Self.cloudMyself)
                : Self.ok(#"{"errorMessages":["Rate limit exceeded"]}"#, status: 429, headers: ["retry-after": "7"])
        }
        let error = try #require(throws: TrackerError.self) {
            try Self.sweeper(Self.cloud, http: http).changes(since: Self.since, page: nil)
        }
        guard case .unavailable(_, let retryAfter) = error.reason else {
            Issue.record("not unavailable: \(error.reason)")
            return
        }
        #expect(retryAfter == 7 && !error.outcomeUnknown)
    }

    // MARK: Data Center

    @Test func dataCenterSearchesWithStartAtThroughV2AndLeavesItsOwnCommentsOut() throws {
        let http = RecordingHTTP()
        let page = """
            {"startAt":0,"maxResults":50,"total":51,"issues":[{"id":"10001","key":"GRC-1","fields":{
              "updated":"2026-01-17T13:40:00.000+0100",
              "status":{"name":"Done","statusCategory":{"key":"done"}},
              "comment":{"startAt":0,"maxResults":20,"total":3,"comments":[
                {"id":"7","author":{"name":"ticketsync","key":"JIRAUSER10000"},"body":"ours"},
                {"id":"8","author":{"name":"other","key":"JIRAUSER10000"},"body":"ours, renamed"},
                {"id":"9","author":{"name":"jane","key":"JIRAUSER2","displayName":"Jane"},
                 "body":"Line 1\\nLine 2"}]}}}]}
            """
        http.script = { request, _ in
            request.url.path.hasSuffix("/myself") ? Self.ok(Self.dataCenterMyself) : Self.ok(page)
        }
        let swept = try Self.sweeper(Self.dataCenter, http: http).changes(since: Self.since, page: nil)
        let search = try #require(http.sent.last)
        #expect(search.method == "GET" && search.body.isEmpty)
        TrackerWireFormatTests.expectJiraHeaders(search, authorization: "Bearer pat", body: false)
        #expect(search.url.path == "/rest/api/2/search")
        // 12:34:56Z is 13:34 in Berlin (+01:00 in January).
        let jql = #"project = "GRC" AND labels = "ticketsync" AND updated >= "2026/01/17 13:34" ORDER BY updated ASC"#
        let encoded = try #require(
            jql.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))))
        #expect(search.url.query == "jql=\(encoded)&startAt=0&maxResults=50&fields=status,updated,comment")
        #expect(swept.next == "1", "51 found, 1 shown: the next page starts at 1")
        #expect(
            swept.tickets.first?.comments == [.init(externalCommentID: "9", author: "Jane", body: "Line 1\nLine 2")])

        http.script = { request, _ in Self.ok(#"{"startAt":50,"maxResults":50,"total":51,"issues":[]}"#) }
        let last = try Self.sweeper(Self.dataCenter, http: http).changes(since: Self.since, page: "50")
        #expect(last.next == nil)
        #expect(http.sent.last?.url.query?.contains("&startAt=50&maxResults=50&") == true)
    }

    @Test func dataCenterLooksUpThroughV2() throws {
        let http = RecordingHTTP()
        http.answer = Self.ok(#"{"errorMessages":[]}"#, status: 404)
        #expect(try Self.sweeper(Self.dataCenter, http: http).lookup(Self.link("GRC-3")).deleted)
        #expect(
            http.sent.map(\.url.absoluteString) == [
                "https://jira.example.com/rest/api/2/issue/GRC-3?fields=status,updated,comment"
            ])
    }

    // MARK: JQL times

    @Test func jqlTimesAreTheAccountsMinuteOrWidenedWhenTheZoneIsUnknown() {
        #expect(JiraSweepQuery.time(Self.since, zone: TimeZone(identifier: "UTC")) == "2026/01/17 12:34")
        #expect(
            JiraSweepQuery.time(Self.since, zone: TimeZone(identifier: "America/Los_Angeles")) == "2026/01/17 04:34")
        // Unknown: UTC less 12 hours, no later than the cursor whatever zone Jira reads it in.
        #expect(JiraSweepQuery.zone("Mars/Olympus") == nil && JiraSweepQuery.zone("") == nil)
        #expect(JiraSweepQuery.time(Self.since, zone: nil) == "2026/01/17 00:34")
        // 2026-03-29T01:30Z: Berlin moves to summer time at 01:00Z; an hour earlier, in Berlin's wall time.
        #expect(
            JiraSweepQuery.time(1_774_747_800_000, zone: TimeZone(identifier: "Europe/Berlin")) == "2026/03/29 01:30")
    }

    @Test func jiraTimesWithTheirOffsetBecomeEpochMilliseconds() {
        #expect(JiraSweepQuery.milliseconds("2026-01-17T12:34:56.789+0000") == Self.since)
        #expect(JiraSweepQuery.milliseconds("2026-01-17T18:04:56.789+0530") == Self.since)
        #expect(JiraSweepQuery.milliseconds("2026-01-17T07:34:56.789-05:00") == Self.since)
        #expect(JiraSweepQuery.milliseconds("2026-01-17T12:34:56.789Z") == Self.since)
        #expect(JiraSweepQuery.milliseconds("yesterday") == nil)
    }
}
