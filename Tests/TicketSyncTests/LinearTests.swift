import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Linear's request bodies (GraphQL documents and variables), its errors, its ids and its webhook checks.
@Suite struct LinearTests {
    let timeouts = HTTPTimeouts(connect: 1, total: 1)

    func provider(_ http: RecordingHTTP) throws -> LinearProvider {
        LinearProvider(
            client: LinearGraphQL(
                baseURL: try #require(URL(string: "http://127.0.0.1:1")), apiKey: "lin_api_k", http: http),
            teamID: "team-1", timeouts: timeouts, states: LinearStateCache(), linkBack: { _ in nil })
    }

    func json(_ text: String) -> OutboundResult { .response(status: 200, headers: [:], body: Array(text.utf8)) }

    @Test func theIssueIdIsAStableV4ShapedUUIDOfTheCreationKey() {
        let key = CreationKey(linkID: "6f9619ff-8b86-d011-b42d-00cf4fc964ff")
        let id = LinearID.issue(key)
        #expect(id == LinearID.issue(CreationKey(linkID: key.linkID, resumed: true)))
        #expect(id != LinearID.issue(CreationKey(linkID: "6f9619ff-8b86-d011-b42d-00cf4fc964fe")))
        let uuid = UUID(uuidString: id)
        #expect(uuid != nil && id == id.lowercased())
        let chars = Array(id)
        #expect(chars.count == 36 && chars.dropFirst(14).first == "4")
        #expect(["8", "9", "a", "b"].contains(chars.dropFirst(19).first))
        // Fixed forever: a changed namespace would make resumed creates miss their issues.
        #expect(
            LinearID.uuid(LinearID.issueNamespace, "ticketsync-x")
                == LinearID.uuid(LinearID.issueNamespace, "ticketsync-x"))
        #expect(LinearID.comment(eventID: "E-1") == LinearID.comment(eventID: "e-1"))
    }

    /// Linear said yes without an issue in the answer: the issue may exist, so it is looked up by its id; when the
    /// look-up finds nothing either, the outcome is unknown (the reservation is kept and a retry looks again).
    @Test func aCreateAnsweredWithoutItsIssueIsLookedUpAndOtherwiseUnknown() throws {
        let request = EvidenceRequest(id: "r", orgID: "o", title: "t", description: "", status: .open)
        let found = RecordingHTTP()
        let yes = json(#"{"data":{"issueCreate":{"success":true}}}"#)
        let issue = json(#"{"data":{"issue":{"id":"i-9","identifier":"GRC-9","url":"https://linear.app/i/grc-9"}}}"#)
        found.script = { _, index in index == 0 ? yes : issue }
        #expect(
            try provider(found).createTicket(TicketDraft(request: request), key: CreationKey(linkID: "l-9")).externalID
                == "GRC-9")
        let missing = RecordingHTTP()
        missing.answer = json(#"{"data":{"issueCreate":{"success":true}}}"#)
        let error = try #require(throws: TrackerError.self) {
            try provider(missing).createTicket(TicketDraft(request: request), key: CreationKey(linkID: "l-9"))
        }
        #expect(error.outcomeUnknown && missing.sent.count == 2)
    }

    @Test func issueCreateSendsTheDocumentWithVariablesAndTheBareKey() throws {
        let http = RecordingHTTP()
        http.answer = json(
            #"{"data":{"issueCreate":{"success":true,"issue":{"id":"i-1","identifier":"GRC-12","url":"https://linear.app/x/issue/grc-12"}}}}"#
        )
        let request = EvidenceRequest(id: "r", orgID: "o", title: "Access review", description: "Q3", status: .open)
        let key = CreationKey(linkID: "l-1")
        let input = LinearProvider.issueInput(request, id: LinearID.issue(key), team: "team-1") { _ in nil }
        let linear = try provider(http)
        let result = linear.client.send(LinearDocument.issueCreate, ["input": .object(input)], timeouts: timeouts)
        let ticket = try #require(LinearGraphQL.data(result, "issueCreate")?["issue"].flatMap(linear.ticket))
        #expect(ticket.externalID == "GRC-12" && ticket.externalRef == "i-1")
        #expect(ticket.externalURL == "https://linear.app/x/issue/grc-12")
        let sent = try #require(http.sent.first)
        #expect(http.sent.count == 1)
        #expect(sent.url.absoluteString == "http://127.0.0.1:1/graphql" && sent.method == "POST")
        #expect(sent.headers["Authorization"] == "lin_api_k")
        let body = try JSONParser.parse(sent.body)
        #expect(body["query"]?.stringValue == LinearDocument.issueCreate)
        #expect(
            body["variables"]
                == .object([
                    "input": .object([
                        "id": .string(LinearID.issue(key)), "teamId": .string("team-1"),
                        "title": .string("Access review"), "description": .string("Q3"),
                    ])
                ]))
    }

    @Test func commentAndCloseBodies() throws {
        let http = RecordingHTTP()
        http.answer = json(#"{"data":{"commentCreate":{"success":true,"comment":{"id":"x"}}}}"#)
        let event = OutboxEvent(
            id: 1, eventID: "e-1", orgID: "o", linkID: "l", evidenceRequestID: "r", commentID: 5, provider: "linear",
            eventType: .comment, body: #"{"comment":{"body":"Hi","author":"Dana"}}"#, attempts: 1,
            externalID: "GRC-1", externalRef: "i-1")
        let outcome = try provider(http).deliver(event, timeouts: timeouts)
        #expect(outcome == .delivered(externalCommentID: LinearID.comment(eventID: "e-1"), echo: nil))
        let body = try JSONParser.parse(try #require(http.sent.first).body)
        #expect(body["query"]?.stringValue == LinearDocument.commentCreate)
        #expect(body["variables"]?["input"]?["issueId"] == .string("i-1"))
        #expect(body["variables"]?["input"]?["body"]?.stringValue?.hasPrefix("Hi\n\n— Dana, via Ticket Sync") == true)

        let team = json(
            #"{"data":{"team":{"states":{"nodes":[{"id":"s9","type":"completed","position":9},{"id":"s1","type":"started","position":1},{"id":"s3","type":"completed","position":3.5}]}}}}"#
        )
        #expect(LinearProvider.firstCompleted(try #require(LinearGraphQL.data(team, "team"))) == "s3")
    }

    @Test func errorsInA200AreRefusalsAndRateLimitsAre429() {
        let refused = LinearGraphQL.normalized(json(#"{"errors":[{"message":"Argument Validation Error"}]}"#))
        #expect(refused.status == 400)
        #expect(
            LinearProvider.failure.outcome(refused)
                == .giveUp(reason: "HTTP 400: Argument Validation Error", status: 400))
        let limited = LinearGraphQL.normalized(
            .response(
                status: 400, headers: ["x-ratelimit-requests-reset": "2000"],
                body: Array(#"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}"#.utf8)
            ),
            now: Date(timeIntervalSince1970: 0))
        #expect(limited.status == 429 && limited.header("retry-after") == "2")
        guard case .retry(_, 429, 2) = LinearProvider.failure.outcome(limited) else {
            Issue.record("a rate limit is retried after Linear's reset")
            return
        }
        let auth = LinearGraphQL.normalized(
            .response(
                status: 400, headers: [:],
                body: Array(#"{"errors":[{"message":"no","extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#.utf8)))
        #expect(auth.status == 401)
        #expect(LinearGraphQL.notFound(json(#"{"errors":[{"message":"Entity not found: Issue"}]}"#)))
    }

    @Test func signatureIsCheckedOnTheRawBodyThenTheTimestamp() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let body = Array(#"{"type":"Comment","webhookTimestamp":1800000000000}"#.utf8)
        let good = Hex.encode(Crypto.hmacSHA256(key: Array("s".utf8), message: body))
        #expect(LinearWebhook.verify(signature: good, body: body, secrets: ["old", "s"], now: now) == nil)
        #expect(LinearWebhook.verify(signature: good.uppercased(), body: body, secrets: ["s"], now: now) == nil)
        #expect(
            LinearWebhook.verify(signature: nil, body: body, secrets: ["s"], now: now)?.reason.hasSuffix("missing")
                == true)
        #expect(LinearWebhook.verify(signature: "sha256=" + good, body: body, secrets: ["s"], now: now) != nil)
        #expect(LinearWebhook.verify(signature: good, body: body + [0x20], secrets: ["s"], now: now) != nil)
        #expect(LinearWebhook.verify(signature: good, body: body, secrets: [], now: now) != nil)
        let late = now.addingTimeInterval(61)
        #expect(
            LinearWebhook.verify(signature: good, body: body, secrets: ["s"], now: late)?.reason.contains("60 s")
                == true)
        #expect(
            LinearWebhook.verify(signature: good, body: body, secrets: ["s"], now: now.addingTimeInterval(59)) == nil)
    }

    @Test func eventsDecodeToCommentsAndStateChanges() throws {
        let comment = try JSONParser.parse(
            Array(
                #"{"type":"Comment","action":"create","data":{"id":"c1","body":"Hi","issueId":"i1","user":{"name":"Sam"}}}"#
                    .utf8))
        #expect(LinearWebhook.decode(comment) == .comment(issueID: "i1", commentID: "c1", author: "Sam", body: "Hi"))
        let moved = try JSONParser.parse(
            Array(
                #"{"type":"Issue","action":"update","actor":{"name":"Dana"},"updatedFrom":{"stateId":"s0"},"data":{"id":"i1","identifier":"GRC-1","updatedAt":"2026-12-01T10:00:00.000Z","state":{"name":"Canceled","type":"canceled"}}}"#
                    .utf8))
        guard case .status("i1", "GRC-1", let change) = LinearWebhook.decode(moved) else {
            Issue.record("a state change")
            return
        }
        #expect(change.category == .done && change.state == "canceled" && change.actor == "Dana")
        #expect(LinearWebhook.category(type: "started") == .indeterminate)
        #expect(LinearWebhook.category(type: "backlog") == .new)
        let edited = try JSONParser.parse(
            Array(#"{"type":"Issue","action":"update","updatedFrom":{"title":"x"},"data":{"id":"i1"}}"#.utf8))
        #expect(LinearWebhook.decode(edited) == .other)
    }

    @Test func aRememberedStateLinearRefusesIsAskedAgainOnce() throws {
        let http = ScriptedHTTP([
            #"{"errors":[{"message":"Entity not found: WorkflowState"}]}"#,
            #"{"data":{"team":{"states":{"nodes":[{"id":"s2","type":"completed","position":1}]}}}}"#,
            #"{"data":{"issueUpdate":{"success":true}}}"#,
        ])
        let states = LinearStateCache()
        states.completed = "s1"
        let linear = LinearProvider(
            client: LinearGraphQL(
                baseURL: try #require(URL(string: "http://127.0.0.1:1")), apiKey: "k", http: http),
            teamID: "team-1", timeouts: timeouts, states: states, linkBack: { _ in nil })
        #expect(linear.close(issueID: "i-1", timeouts: timeouts) == .delivered(externalCommentID: nil, echo: nil))
        #expect(states.completed == "s2")
        let stateIDs = try http.sent.map { try JSONParser.parse($0.body)["variables"]?["input"]?["stateId"] }
        #expect(stateIDs == [.string("s1"), nil, .string("s2")])
    }
}

/// Answers each request with the next scripted body (HTTP 200).
final class ScriptedHTTP: OutboundHTTP, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String]
    private var requests: [OutboundRequest] = []

    init(_ answers: [String]) { self.answers = answers }

    var sent: [OutboundRequest] { lock.withLock { requests } }

    func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        lock.withLock {
            requests.append(request)
            let body = answers.isEmpty ? "{}" : answers.removeFirst()
            return .response(status: 200, headers: [:], body: Array(body.utf8))
        }
    }
}
