import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct WebhookProviderTests {
    func response(_ status: Int, _ headers: [String: String] = [:], _ body: String = "") -> OutboundResult {
        .response(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test func twoHundredsDeliverWithTheReceiversCommentId() {
        #expect(
            WebhookProvider.outcome(of: response(200, [:], #"{"external_comment_id":"c-9"}"#))
                == .delivered(externalCommentID: "c-9", echo: nil))
        #expect(WebhookProvider.outcome(of: response(204)) == .delivered(externalCommentID: nil, echo: nil))
    }

    @Test func goneGivesUp() {
        guard case .giveUp(_, let status) = WebhookProvider.outcome(of: response(410)) else {
            Issue.record("not giveUp")
            return
        }
        #expect(status == 410)
    }

    @Test func everythingElseRetriesAndHonoursRetryAfterOn429And503() {
        #expect(
            WebhookProvider.outcome(of: response(429, ["retry-after": "7"]))
                == .retry(reason: "HTTP 429", status: 429, retryAfter: 7))
        #expect(
            WebhookProvider.outcome(of: response(503, ["retry-after": "3"]))
                == .retry(reason: "HTTP 503", status: 503, retryAfter: 3))
        #expect(
            WebhookProvider.outcome(of: response(500, ["retry-after": "3"]))
                == .retry(reason: "HTTP 500", status: 500, retryAfter: nil))
        #expect(WebhookProvider.outcome(of: response(302)) == .retry(reason: "HTTP 302", status: 302, retryAfter: nil))
        #expect(
            WebhookProvider.outcome(of: .failure("connection refused"))
                == .retry(reason: "connection refused", status: nil, retryAfter: nil))
    }

    /// Sends through a recording client: headers and the exact signed bytes.
    @Test func signsTheExactBytesItSends() throws {
        let recorder = RecordingHTTP()
        let provider = WebhookProvider(
            url: URL(string: "http://127.0.0.1:1/hook")!, signingSecret: "s3", http: recorder,
            timeouts: HTTPTimeouts(connect: 1, total: 1), linkBack: { _ in nil })
        let event = OutboxEvent(
            id: 1, eventID: "e-1", orgID: "o", linkID: "l", evidenceRequestID: "r", commentID: 5,
            provider: "webhook", eventType: .comment, body: #"{"a":"é/x"}"#, attempts: 1, externalID: "wh-1")
        #expect(
            provider.deliver(event, timeouts: HTTPTimeouts(connect: 1, total: 1))
                == .delivered(externalCommentID: nil, echo: nil))
        let sent = try #require(recorder.sent.first)
        #expect(sent.body == Array(#"{"a":"é/x"}"#.utf8))
        #expect(sent.headers["X-Signature"] == WebhookSignature.header(secret: "s3", body: sent.body))
        #expect(sent.headers["X-Event-Id"] == "e-1")
        #expect(sent.headers["X-Event-Type"] == "ticket.comment")
        #expect(sent.headers["User-Agent"] == "ticketsync/\(TicketSyncVersion.current)")
        #expect(sent.headers["Content-Type"] == "application/json")
    }
}
