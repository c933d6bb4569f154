import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The generic webhook's sweep through a recording client (docs/webhooks.md, "Sweeps"): the adapter's URL, our signed
/// GET, the answer's signature verified on its raw bytes before anything is decoded, and the answer's parsing.
struct WebhookSweeperTests {
    static let secret = "adapter-secret"
    static let previous = "adapter-secret-before-rotation"

    /// The deployment default's sweeper, built by the registry from the environment as the service builds it.
    static func sweeper(
        _ http: RecordingHTTP, url: String = "https://adapter.example/hook", policy: String? = nil
    ) throws -> WebhookSweeper {
        var environment = [
            "TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": url,
            "TICKET_WEBHOOK_SECRET": "\(secret),\(previous)",
        ]
        environment["TICKET_WEBHOOK_INBOUND_SIGNATURE"] = policy
        let provider = try ProviderRegistry(settings: Settings(environment: environment), http: http).provider(.webhook)
        return try #require(provider as? WebhookProvider).sweeper
    }

    /// An answer signed with X-Signature.
    static func signed(_ body: String, status: Int = 200, secret: String = secret) -> OutboundResult {
        .response(
            status: status,
            headers: ["x-signature": WebhookSignature.header(secret: secret, body: Array(body.utf8))],
            body: Array(body.utf8))
    }

    /// An answer signed with Standard Webhooks.
    static func standard(_ body: String, status: Int = 200, secret: String = secret) -> OutboundResult {
        let now = StandardWebhookSignature.now()
        return .response(
            status: status,
            headers: [
                "webhook-id": "msg-1", "webhook-timestamp": String(now),
                "webhook-signature": StandardWebhookSignature.signature(
                    secret: secret, id: "msg-1", timestamp: now, body: Array(body.utf8)),
            ], body: Array(body.utf8))
    }

    static func link(_ externalID: String) -> TicketLink {
        TicketLink(
            id: "l-1", orgID: "o", evidenceRequestID: "r", provider: "webhook", connectionID: nil,
            externalID: ExternalTicketID(externalID), externalURL: nil, externalRef: nil, syncState: .synced,
            lastError: nil,
            createdAt: "", updatedAt: "", closedAt: nil)
    }

    static let since: Int64 = 1_796_040_000_000  // 2026-11-30T12:00:00Z

    // MARK: The request

    @Test func changesAreReadWithASignedGetJoinedToTheWebhookURL() throws {
        let http = RecordingHTTP()
        http.answer = Self.signed(#"{"changes":[],"next":null}"#)
        let page = try Self.sweeper(http).changes(since: Self.since, page: nil)
        #expect(page == SweepPage(tickets: [], next: nil))
        let sent = try #require(http.sent.first)
        #expect(sent.method == "GET" && sent.body.isEmpty)
        #expect(sent.url.absoluteString == "https://adapter.example/hook/changes?since=2026-11-30T12%3A00%3A00.000Z")
        #expect(sent.headers["Accept"] == "application/json")
        #expect(sent.headers["User-Agent"] == "ticketsync/\(TicketSyncVersion.current)")
        // Standard Webhooks over the empty body, with the first secret; no X-Signature (over nothing it never changes).
        #expect(sent.headers["X-Signature"] == nil)
        let verified = StandardWebhookSignature.verify(
            header: { sent.headers[$0] }, body: [], secrets: [Self.secret])
        #expect(verified == .success(try #require(sent.headers["webhook-id"])))
    }

    @Test func eachRequestHasItsOwnWebhookId() throws {
        let http = RecordingHTTP()
        http.answer = Self.signed(#"{"changes":[]}"#)
        let sweeper = try Self.sweeper(http)
        _ = try sweeper.changes(since: Self.since, page: nil)
        _ = try sweeper.changes(since: Self.since, page: nil)
        let ids = http.sent.compactMap { $0.headers["webhook-id"] }
        #expect(ids.count == 2 && ids.first != ids.last)
    }

    @Test func theCursorAndTheURLsOwnPathAndQueryAreKept() throws {
        let cases: [(String, String)] = [
            ("https://adapter.example/hook/", "https://adapter.example/hook/changes?"),
            ("https://adapter.example", "https://adapter.example/changes?"),
            ("https://adapter.example/", "https://adapter.example/changes?"),
            ("https://adapter.example/a/hook?token=t%2B1", "https://adapter.example/a/hook/changes?token=t%2B1&"),
            ("https://adapter.example/hook?token=x#frag", "https://adapter.example/hook/changes?token=x&"),
        ]
        for (url, prefix) in cases {
            let http = RecordingHTTP()
            http.answer = Self.signed(#"{"changes":[]}"#)
            _ = try Self.sweeper(http, url: url).changes(since: Self.since, page: "p=2&x/ y")
            let sent = try #require(http.sent.first).url.absoluteString
            #expect(sent == prefix + "since=2026-11-30T12%3A00%3A00.000Z&cursor=p%3D2%26x%2F%20y", "\(url)")
        }
    }

    @Test func aLookUpAsksForOneTicketByItsExternalId() throws {
        let http = RecordingHTTP()
        http.answer = Self.signed(#"{"changes":[]}"#)
        let ticket = try Self.sweeper(http).lookup(Self.link("PROJ 7/é"))
        #expect(ticket == SweptTicket(externalID: "PROJ 7/é"))
        #expect(
            try #require(http.sent.first).url.absoluteString
                == "https://adapter.example/hook/changes?external_id=PROJ%207%2F%C3%A9")
    }

    // MARK: The answer's signature, checked before decoding

    @Test func anUnsignedOrBadlySignedAnswerFailsTheSweepBeforeItsBodyIsDecoded() throws {
        // Not even JSON: had it been decoded, the error would be about JSON.
        let body = "not json"
        let answers: [(OutboundResult, String)] = [
            (.response(status: 200, headers: [:], body: Array(body.utf8)), "signature missing"),
            (Self.signed(body, secret: "someone-else"), "signature mismatch"),
            (Self.standard(body, secret: "someone-else"), "webhook-signature mismatch"),
            (
                .response(status: 200, headers: ["x-signature": "sha256=zz"], body: Array(body.utf8)),
                "signature malformed"
            ),
        ]
        for (answer, reason) in answers {
            let http = RecordingHTTP()
            http.answer = answer
            let error = try #require(throws: TrackerError.self) {
                try Self.sweeper(http).changes(since: Self.since, page: nil)
            }
            #expect(error.reason == .failed("its answer is unsigned or badly signed: \(reason)"))
            #expect(error.problem.detail.contains("GET …/changes"))
        }
        // Signed, the same bytes reach the decoder.
        let http = RecordingHTTP()
        http.answer = Self.signed(body)
        let error = try #require(throws: TrackerError.self) {
            try Self.sweeper(http).changes(since: Self.since, page: nil)
        }
        guard case .failed(let words) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(words.hasPrefix("its answer is not JSON"))
    }

    @Test func standardWebhooksAndTheRotatedSecretVerify() throws {
        let body =
            #"{"changes":[{"external_id":"wh-1","comment":{"external_comment_id":"c1","author":"A","body":"B"}}]}"#
        for answer in [Self.standard(body), Self.signed(body, secret: Self.previous)] {
            let http = RecordingHTTP()
            http.answer = answer
            let page = try Self.sweeper(http).changes(since: Self.since, page: nil)
            #expect(page.tickets.map(\.externalID) == ["wh-1"])
        }
    }

    @Test func theStandardPolicyRefusesAnAnswerSignedOnlyWithXSignature() throws {
        let body = #"{"changes":[]}"#
        let http = RecordingHTTP()
        http.answer = Self.signed(body)
        let error = try #require(throws: TrackerError.self) {
            try Self.sweeper(http, policy: "standard").changes(since: Self.since, page: nil)
        }
        #expect(
            error.reason
                == .failed("its answer is unsigned or badly signed: webhook-signature missing (standard required)"))
        http.answer = Self.standard(body)
        #expect(try Self.sweeper(http, policy: "standard").changes(since: Self.since, page: nil).tickets.isEmpty)
    }

    // MARK: Statuses

    @Test func anAdapterWithoutTheEndpointCannotBeSwept() throws {
        for status in [404, 405, 501] {
            let http = RecordingHTTP()
            http.answer = .response(status: status, headers: [:], body: Array("Not Found".utf8))
            let error = try #require(throws: SweepUnsupported.self) {
                try Self.sweeper(http).changes(since: Self.since, page: nil)
            }
            #expect(error.reason.contains("HTTP \(status) at GET …/changes"))
            // A look-up's unsigned 404 is the same missing endpoint, never a deleted ticket.
            #expect(throws: SweepUnsupported.self) { try Self.sweeper(http).lookup(Self.link("wh-1")) }
        }
    }

    @Test func aSignedNotFoundOrGoneToALookUpIsADeletedTicket() throws {
        for status in [404, 410] {
            let http = RecordingHTTP()
            http.answer = Self.signed("", status: status)
            #expect(try Self.sweeper(http).lookup(Self.link("wh-1")) == .gone("wh-1"))
        }
        // An unsigned 410 proves nothing: the look-up fails.
        let http = RecordingHTTP()
        http.answer = .response(status: 410, headers: [:], body: [])
        let error = try #require(throws: TrackerError.self) { try Self.sweeper(http).lookup(Self.link("wh-1")) }
        #expect(error.reason == .refused("HTTP 410"))
    }

    @Test func aRateLimitBacksTheSweepOffByRetryAfter() throws {
        for status in [429, 503] {
            let http = RecordingHTTP()
            http.answer = .response(status: status, headers: ["retry-after": "7"], body: [])
            let error = try #require(throws: TrackerError.self) {
                try Self.sweeper(http).changes(since: Self.since, page: nil)
            }
            #expect(error.reason == .unavailable("HTTP \(status)", retryAfter: 7))
        }
    }

    @Test func otherFailuresAreTheAdaptersInItsStatus() throws {
        let http = RecordingHTTP()
        http.answer = .response(status: 500, headers: [:], body: [])
        let error = try #require(throws: TrackerError.self) {
            try Self.sweeper(http).changes(since: Self.since, page: nil)
        }
        #expect(error.reason == .failed("HTTP 500") && !error.outcomeUnknown)
        http.answer = .failure("connection refused")
        let unreachable = try #require(throws: TrackerError.self) {
            try Self.sweeper(http).changes(since: Self.since, page: nil)
        }
        #expect(unreachable.reason == .unreachable("connection refused"))
    }

    // MARK: Parsing

    @Test func changesAreGroupedByTicketWithTheLatestTrackerStatus() throws {
        let body = """
            {"changes":[
              {"external_id":"wh-2","tracker_status":{"name":"Done","category":"done","updated_at":"2026-11-30T12:05:00Z",
               "updated_by":"Dana"}},
              {"external_id":"wh-1","comment":{"external_comment_id":"c1","author":"Jane","body":"First"}},
              {"external_id":"wh-2","tracker_status":{"name":"In Progress","category":"indeterminate",
               "updated_at":"2026-11-30T12:01:00Z"},"status":"submitted"},
              {"external_id":"wh-1","comment":{"external_comment_id":"c2","author":"Jane","body":"Second"},
               "changed_at":"2026-11-30T12:03:00.250Z"},
              {"external_id":"wh-3","status":"submitted"}
            ],"next":"page-2"}
            """
        let http = RecordingHTTP()
        http.answer = Self.signed(body)
        let page = try Self.sweeper(http).changes(since: Self.since, page: nil)
        #expect(page.next == "page-2")
        let done = TrackerStatusChange(
            name: "Done", category: .done, state: nil, milliseconds: Self.since + 300_000, actor: "Dana")
        #expect(
            page.tickets == [
                SweptTicket(externalID: "wh-2", status: done, changedAt: Self.since + 300_000),
                SweptTicket(
                    externalID: "wh-1",
                    comments: [
                        .init(externalCommentID: "c1", author: "Jane", body: "First"),
                        .init(externalCommentID: "c2", author: "Jane", body: "Second"),
                    ], changedAt: Self.since + 180_250),
                // A plain `status` has no time to order it by: a sweep leaves it out.
                SweptTicket(externalID: "wh-3"),
            ])
    }

    @Test func aWrongShapeFailsTheAnswerNamingTheField() throws {
        let cases: [(String, String)] = [
            (#"[]"#, "its answer must be a JSON object"),
            (#"{"next":null}"#, "`changes` must be an array"),
            (#"{"changes":[{"external_id":"wh-1"},{"comment":{}}]}"#, "`changes[1].external_id`"),
            (
                #"{"changes":[{"external_id":"wh-1","tracker_status":{"name":"X","category":"done","updated_at":"soon"}}]}"#,
                "`changes[0].tracker_status.updated_at`"
            ),
            (#"{"changes":[{"external_id":"wh-1","changed_at":"soon"}]}"#, "`changes[0].changed_at`"),
            (#"{"changes":[],"next":""}"#, "`next` must be null or a non-empty string"),
            (#"{"changes":[],"next":7}"#, "`next` must be null or a non-empty string"),
        ]
        for (body, words) in cases {
            let http = RecordingHTTP()
            http.answer = Self.signed(body)
            let error = try #require(throws: TrackerError.self) {
                try Self.sweeper(http).changes(since: Self.since, page: nil)
            }
            guard case .failed(let detail) = error.reason else {
                Issue.record("\(error)")
                continue
            }
            #expect(detail.hasPrefix(words), "\(body): \(detail)")
        }
    }

    @Test func aLookUpReadsEveryPageOfItsTicket() throws {
        let http = RecordingHTTP()
        http.script = { request, index in
            index == 0
                ? Self.signed(
                    #"{"changes":[{"external_id":"wh-1","comment":{"external_comment_id":"c1","author":"A","body":"1"}}],"next":"n1"}"#
                )
                : Self.signed(
                    #"{"changes":[{"external_id":"wh-1","tracker_status":{"name":"Open","category":"new","updated_at":"2026-11-30T12:00:00Z"}}]}"#
                )
        }
        let ticket = try Self.sweeper(http).lookup(Self.link("wh-1"))
        #expect(ticket.comments.map(\.externalCommentID) == ["c1"])
        #expect(ticket.status?.name == "Open" && ticket.changedAt == Self.since && !ticket.deleted)
        #expect(http.sent.map(\.url.query) == ["external_id=wh-1", "external_id=wh-1&cursor=n1"])
    }

    @Test func aLookUpAnsweredWithAnotherTicketFails() throws {
        let http = RecordingHTTP()
        http.answer = Self.signed(#"{"changes":[{"external_id":"wh-2"}]}"#)
        let error = try #require(throws: TrackerError.self) { try Self.sweeper(http).lookup(Self.link("wh-1")) }
        #expect(error.reason == .failed("its answer lists another ticket, wh-2"))
    }

    @Test func aLookUpThatNeverEndsStopsAtItsPageLimit() throws {
        let http = RecordingHTTP()
        http.answer = Self.signed(#"{"changes":[],"next":"again"}"#)
        #expect(throws: TrackerError.self) { try Self.sweeper(http).lookup(Self.link("wh-1")) }
        #expect(http.sent.count == WebhookSweeper.lookupPages)
    }
}
