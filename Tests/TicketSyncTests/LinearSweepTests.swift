import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Linear's sweep on the wire: the documents and variables it sends, and how it reads the answers (docs/trackers/
/// linear.md, "Sweep").
@Suite struct LinearSweepTests {
    let timeouts = HTTPTimeouts(connect: 1, total: 1)
    /// 2026-12-01T10:00:00.000Z.
    let since: Int64 = 1_796_119_200_000

    func sweeper(_ http: RecordingHTTP) throws -> LinearSweeper {
        LinearSweeper(
            client: LinearGraphQL(
                baseURL: try #require(URL(string: "http://127.0.0.1:1")), apiKey: "lin_api_k", http: http),
            teamID: "team-1", timeouts: timeouts)
    }

    func json(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> OutboundResult {
        .response(status: status, headers: headers, body: Array(text.utf8))
    }

    func body(_ request: OutboundRequest) throws -> JSONValue { try JSONParser.parse(request.body) }

    func link(ref: String? = "issue-uuid-1") -> TicketLink {
        TicketLink(
            id: "l-1", orgID: "o", evidenceRequestID: "r", provider: "linear", connectionID: "c", externalID: "GRC-1",
            externalURL: nil, externalRef: ref, syncState: .synced, lastError: nil, createdAt: "", updatedAt: "",
            closedAt: nil)
    }

    /// An issue node as `sweptIssueFields` selects it.
    func issue(
        _ identifier: String, state: String, type: String, updated: String, comments: String = "",
        more: String? = nil, trashed: Bool = false, archived: String? = nil
    ) -> String {
        let page =
            more.map { #"{"hasNextPage":true,"endCursor":"\#($0)"}"# } ?? #"{"hasNextPage":false,"endCursor":null}"#
        return #"""
            {"id":"id-\#(identifier)","identifier":"\#(identifier)","updatedAt":"\#(updated)","trashed":\#(trashed),
             "archivedAt":\#(archived.map { "\"\($0)\"" } ?? "null"),
             "state":{"name":"\#(state)","type":"\#(type)"},"comments":{"nodes":[\#(comments)],"pageInfo":\#(page)}}
            """#
    }

    func comment(_ id: String, _ body: String, at: String, user: String? = "Sam Auditor", isMe: Bool = false) -> String
    {
        let author = user.map { #"{"name":"\#($0)","isMe":\#(isMe)}"# } ?? "null"
        return #"{"id":"\#(id)","body":"\#(body)","createdAt":"\#(at)","user":\#(author),"botActor":null}"#
    }

    @Test func changesAsksForTheTeamsIssuesChangedOrCommentedSinceTheCursorFromTheOldest() throws {
        let http = RecordingHTTP()
        http.answer = json(#"{"data":{"issues":{"nodes":[],"pageInfo":{"hasPreviousPage":false,"startCursor":null}}}}"#)
        let page = try sweeper(http).changes(since: since, page: nil)
        #expect(page == SweepPage(tickets: [], next: nil))
        let sent = try #require(http.sent.first)
        #expect(sent.url.absoluteString == "http://127.0.0.1:1/graphql" && sent.method == "POST")
        #expect(sent.headers["Authorization"] == "lin_api_k")
        let request = try body(sent)
        #expect(request["query"]?.stringValue == LinearDocument.sweepIssues)
        let document = LinearDocument.sweepIssues
        #expect(document.contains("issues(filter: $filter, orderBy: updatedAt, last: 50, before: $before)"))
        #expect(document.contains("pageInfo { hasPreviousPage startCursor }"))
        #expect(document.contains("comments(filter: $comments, first: 20)"))
        let at: JSONValue = .object(["gte": .string("2026-12-01T10:00:00.000Z")])
        #expect(
            request["variables"]
                == .object([
                    "filter": .object([
                        "and": .array([
                            .object(["team": .object(["id": .object(["eq": .string("team-1")])])]),
                            .object([
                                "or": .array([
                                    .object(["updatedAt": at]),
                                    .object(["comments": .object(["some": .object(["createdAt": at])])]),
                                ])
                            ]),
                        ])
                    ]),
                    "comments": .object(["createdAt": at]),
                ]))
        // The next page starts before the first one's start (Linear lists the most recently updated first).
        _ = try sweeper(http).changes(since: since, page: "cursor-7")
        #expect(try body(http.sent[1])["variables"]?["before"] == .string("cursor-7"))
    }

    @Test func aPageIsReadIntoTicketsWithStatusCommentsAndTheTimeOfTheirLastChange() throws {
        let http = RecordingHTTP()
        let ours = comment(
            "c-ours", "Please attach.\\n\\n— Ada Admin, via Ticket Sync", at: "2026-12-01T10:01:00.000Z", isMe: true)
        let keyOwner = comment("c-me", "Typed by hand in Linear", at: "2026-12-01T10:02:00.000Z", isMe: true)
        let late = comment("c-2", "Second", at: "2026-12-01T10:09:00.000Z")
        let early = comment("c-1", "First", at: "2026-12-01T10:03:00.000Z", user: nil)
        let nodes = [
            issue(
                "GRC-2", state: "Done", type: "completed", updated: "2026-12-01T10:05:00.000Z",
                comments: [late, ours, early, keyOwner].joined(separator: ",")),
            issue("GRC-1", state: "In Progress", type: "started", updated: "2026-12-01T10:04:00.000Z"),
            issue("GRC-3", state: "Won't do", type: "canceled", updated: "2026-12-01T10:06:00.000Z"),
            issue("GRC-4", state: "Triage", type: "triage", updated: "2026-12-01T10:07:00.000Z"),
        ]
        http.answer = json(
            #"{"data":{"issues":{"nodes":[\#(nodes.joined(separator: ","))],"#
                + #""pageInfo":{"hasPreviousPage":true,"startCursor":"start-1"}}}}"#)
        let page = try sweeper(http).changes(since: since, page: nil)
        #expect(page.next == "start-1")
        // Oldest change first: GRC-2's last change is its newest comment (10:09), after its state (10:05).
        #expect(page.tickets.map(\.externalID) == ["GRC-1", "GRC-3", "GRC-4", "GRC-2"])
        let done = try #require(page.tickets.last)
        #expect(done.changedAt == TrackerTime.milliseconds("2026-12-01T10:09:00.000Z"))
        #expect(
            done.status
                == TrackerStatusChange(
                    name: "Done", category: .done, state: "completed",
                    milliseconds: try #require(TrackerTime.milliseconds("2026-12-01T10:05:00.000Z")), actor: nil))
        // Our pushed comment (the key's account, with our signature) is left out; the rest oldest first.
        #expect(
            done.comments
                == [
                    InboundEvent.ExternalComment(
                        externalCommentID: "c-me", author: "Sam Auditor", body: "Typed by hand in Linear"),
                    InboundEvent.ExternalComment(externalCommentID: "c-1", author: "Linear", body: "First"),
                    InboundEvent.ExternalComment(externalCommentID: "c-2", author: "Sam Auditor", body: "Second"),
                ])
        #expect(page.tickets.map { $0.status?.category } == [.indeterminate, .done, .new, .done])
        #expect(page.tickets.allSatisfy { !$0.deleted })
    }

    @Test func commentsPastTheFirstPageAreReadFromTheIssueBySinceAndCursor() throws {
        let http = RecordingHTTP()
        let first = issue(
            "GRC-5", state: "Todo", type: "unstarted", updated: "2026-12-01T10:00:00.000Z",
            comments: comment("c-1", "one", at: "2026-12-01T10:01:00.000Z"), more: "comments-2")
        let second = issue(
            "GRC-5", state: "Todo", type: "unstarted", updated: "2026-12-01T10:00:00.000Z",
            comments: comment("c-2", "two", at: "2026-12-01T10:02:00.000Z"))
        let list = json(#"{"data":{"issues":{"nodes":[\#(first)],"pageInfo":{"hasPreviousPage":false}}}}"#)
        let one = json(#"{"data":{"issue":\#(second)}}"#)
        http.script = { _, index in index == 0 ? list : one }
        let page = try sweeper(http).changes(since: since, page: nil)
        #expect(page.tickets.first?.comments.map(\.externalCommentID) == ["c-1", "c-2"])
        #expect(http.sent.count == 2)
        let more = try body(http.sent[1])
        #expect(more["query"]?.stringValue == LinearDocument.sweepIssue)
        #expect(
            more["variables"]
                == .object([
                    "id": .string("id-GRC-5"), "commentsAfter": .string("comments-2"),
                    "comments": .object(["createdAt": .object(["gte": .string("2026-12-01T10:00:00.000Z")])]),
                ]))
    }

    @Test func lookupReadsTheIssueByItsIdUnderTheLinksIdentifier() throws {
        let http = RecordingHTTP()
        let moved = issue(
            "OPS-9", state: "Todo", type: "unstarted", updated: "2026-12-01T10:00:00.000Z",
            comments: comment("c-1", "hello", at: "2026-12-01T10:01:00.000Z"))
        http.answer = json(#"{"data":{"issue":\#(moved)}}"#)
        let ticket = try sweeper(http).lookup(link())
        #expect(ticket.externalID == "GRC-1" && ticket.status?.name == "Todo" && ticket.status?.category == .new)
        #expect(ticket.comments.map(\.body) == ["hello"] && !ticket.deleted)
        let request = try body(try #require(http.sent.first))
        #expect(request["query"]?.stringValue == LinearDocument.sweepIssue)
        #expect(request["variables"] == .object(["id": .string("issue-uuid-1")]), "every comment: no filter")
        // A link without its reference is looked up by its identifier, which Linear accepts as an id too.
        _ = try sweeper(http).lookup(link(ref: nil))
        #expect(try body(http.sent[1])["variables"] == .object(["id": .string("GRC-1")]))
    }

    @Test func anIssueNotFoundGoneOrInTheTrashIsDeletedAndAnArchivedOneIsNot() throws {
        let trashed = issue(
            "GRC-1", state: "Todo", type: "unstarted", updated: "2026-12-01T10:00:00Z", trashed: true,
            archived: "2026-12-01T10:00:00Z")
        let answers = [
            json(#"{"errors":[{"message":"Entity not found: Issue - Could not find referenced Issue."}],"data":null}"#),
            json(#"{"data":{"issue":null}}"#),
            json(#"{"data":{"issue":\#(trashed)}}"#),
        ]
        for answer in answers {
            let http = RecordingHTTP()
            http.answer = answer
            #expect(try sweeper(http).lookup(link()).deleted)
        }
        let http = RecordingHTTP()
        let done = issue(
            "GRC-1", state: "Done", type: "completed", updated: "2026-12-01T10:00:00Z", archived: "2026-12-02T00:00:00Z"
        )
        http.answer = json(#"{"data":{"issue":\#(done)}}"#)
        // Linear archives finished issues by itself (the team's auto-archive period): still there, still done.
        let archived = try sweeper(http).lookup(link())
        #expect(!archived.deleted && archived.status?.category == .done)
    }

    @Test func aRateLimitIsUnavailableWithLinearsResetAsRetryAfter() throws {
        let http = RecordingHTTP()
        let reset = Int64((Date().timeIntervalSince1970 + 30) * 1000)
        http.answer = json(
            #"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}],"data":null}"#,
            status: 400, headers: ["x-ratelimit-requests-reset": String(reset)])
        let linear = try sweeper(http)
        let calls: [() throws -> Void] = [
            { _ = try linear.changes(since: since, page: nil) }, { _ = try linear.lookup(link()) },
        ]
        for call in calls {
            let error = try #require(throws: TrackerError.self) { try call() }
            guard case .unavailable(_, let retryAfter) = error.reason, let retryAfter else {
                Issue.record("a rate limit backs the sweep off: \(error.reason)")
                continue
            }
            #expect((29...31).contains(retryAfter))
        }
    }

    @Test func anotherErrorOrAnUnreadableAnswerFailsTheSweep() throws {
        let http = RecordingHTTP()
        http.answer = json(#"{"errors":[{"message":"Cannot query field \"trashed\""}],"data":null}"#)
        let refused = try #require(throws: TrackerError.self) { _ = try sweeper(http).changes(since: since, page: nil) }
        #expect(refused.reason == .refused("HTTP 400: Cannot query field \"trashed\""))
        http.answer = json(#"{"data":{"issues":{"nodes":[{"id":"x"}],"pageInfo":{"hasPreviousPage":false}}}}"#)
        let unreadable = try #require(throws: TrackerError.self) {
            _ = try sweeper(http).changes(since: since, page: nil)
        }
        guard case .invalidAnswer = unreadable.reason else {
            Issue.record("an issue without its fields is not skipped silently")
            return
        }
    }
}
