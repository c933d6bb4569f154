import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Standard Webhooks, against the spec's own test vector (standard-webhooks/standard-webhooks, the reference
/// libraries' `test_sign_function` / "sign function works").
@Suite struct StandardWebhookSignatureTests {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let timestamp: Int64 = 1_614_265_330
    let body = Array(#"{"test": 2432232314}"#.utf8)
    let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    func headers(_ signature: String, id: String? = nil, timestamp: String? = nil) -> (String) -> String? {
        let values = [
            "webhook-id": id ?? self.id, "webhook-timestamp": timestamp ?? String(self.timestamp),
            "webhook-signature": signature,
        ]
        return { values[$0] }
    }

    @Test func signsTheSpecVector() {
        #expect(
            StandardWebhookSignature.signature(secret: secret, id: id, timestamp: timestamp, body: body) == expected)
        // The key is the base64 after `whsec_`, padded or not.
        #expect(StandardWebhookSignature.key(secret).count == 24)
        #expect(StandardWebhookSignature.key(secret + "=") == StandardWebhookSignature.key(secret))
    }

    @Test func otherSecretsAreTheirUTF8Bytes() {
        #expect(StandardWebhookSignature.key("abc123") == Array("abc123".utf8))
        #expect(StandardWebhookSignature.key("whsec_***") == Array("whsec_***".utf8))  // not base64: as written
    }

    @Test func verifiesTheSpecVectorWithinFiveMinutes() {
        let result = StandardWebhookSignature.verify(
            header: headers(expected), body: body, secrets: ["other", secret], now: timestamp + 300)
        #expect(result == .success(id))
        #expect(
            StandardWebhookSignature.verify(
                header: headers(expected), body: body, secrets: [secret], now: timestamp - 300)
                == .success(id))
    }

    @Test func refusesTimestampsMoreThanFiveMinutesOff() {
        for now in [timestamp + 301, timestamp - 301] {
            #expect(
                StandardWebhookSignature.verify(header: headers(expected), body: body, secrets: [secret], now: now)
                    == .failure(.timestamp))
        }
    }

    @Test func refusesTheSpecsInvalidSignatureAndATamperedBody() {
        let invalid = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
        #expect(
            StandardWebhookSignature.verify(header: headers(invalid), body: body, secrets: [secret], now: timestamp)
                == .failure(.mismatch))
        #expect(
            StandardWebhookSignature.verify(
                header: headers(expected), body: body + [0x20], secrets: [secret], now: timestamp)
                == .failure(.mismatch))
        // The id and the time are signed too.
        #expect(
            StandardWebhookSignature.verify(
                header: headers(expected, id: "msg_other"), body: body, secrets: [secret], now: timestamp)
                == .failure(.mismatch))
        #expect(
            StandardWebhookSignature.verify(
                header: headers(expected, timestamp: String(timestamp + 1)), body: body, secrets: [secret],
                now: timestamp) == .failure(.mismatch))
    }

    /// The spec's rotation fixture: several space-separated signatures, other versions skipped, one valid passes.
    @Test func acceptsOneValidSignatureAmongSeveral() {
        let other = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        let list = "v1,\(other) v2,\(other) \(expected) v1,\(other)"
        #expect(
            StandardWebhookSignature.verify(header: headers(list), body: body, secrets: [secret], now: timestamp)
                == .success(id))
        #expect(
            StandardWebhookSignature.verify(
                header: headers("v2,\(expected.dropFirst(3))"), body: body, secrets: [secret], now: timestamp)
                == .failure(.malformed))
    }

    @Test func classifiesMissingAndMalformedHeaders() {
        #expect(
            StandardWebhookSignature.verify(header: { _ in nil }, body: body, secrets: [secret], now: timestamp)
                == .failure(.missing))
        for (signature, stamp) in [
            ("v1,not base64!", String(timestamp)), (expected, "16142653.30"), (expected, "-1614265330"),
            (expected, "99999999999999999999"), ("", String(timestamp)),
        ] {
            #expect(
                StandardWebhookSignature.verify(
                    header: headers(signature, timestamp: stamp), body: body, secrets: [secret], now: timestamp)
                    == .failure(.malformed))
        }
    }

    @Test func outboundEventsCarryBothSchemes() throws {
        let recorder = RecordingHTTP()
        let provider = WebhookProvider(
            url: try #require(URL(string: "http://127.0.0.1:1/hook")), signingSecret: secret, http: recorder,
            timeouts: HTTPTimeouts(connect: 1, total: 1), linkBack: { _ in nil })
        _ = provider.send(
            type: "ticket.comment", eventID: id, body: body, timeouts: HTTPTimeouts(connect: 1, total: 1),
            now: timestamp)
        let sent = try #require(recorder.sent.first)
        #expect(sent.headers["webhook-id"] == id)
        #expect(sent.headers["webhook-timestamp"] == String(timestamp))
        #expect(sent.headers["webhook-signature"] == expected)
        #expect(sent.headers["X-Signature"] == WebhookSignature.header(secret: secret, body: body))
        #expect(sent.headers["X-Event-Id"] == id)
    }
}

/// What a generic webhook's `status` does, through the status map and the auditor's-decision rule.
@Suite struct RequestedStatusTests {
    @Test func plainStatusesPassAndDecisionsNeedTheMap() {
        let standard = StatusMap.standard
        #expect(standard.requested("submitted", current: .open) == .set("submitted"))
        #expect(standard.requested("in_progress", current: .open) == .set("in_progress"))
        #expect(standard.requested("open", current: .open) == .unchanged("open"))
        guard case .ignored = standard.requested("accepted", current: .submitted) else {
            Issue.record("accepted without a map entry must be ignored")
            return
        }
        let decisions = try? StatusMap.parse("accepted=accepted, rejected=rejected, done=submitted")
        #expect(decisions?.requested("accepted", current: .submitted) == .set("accepted"))
    }

    @Test func anAuditorsDecisionIsNeverMovedBack() {
        let map = try? StatusMap.parse("accepted=accepted, rejected=rejected")
        for status in ["open", "in_progress", "submitted"] {
            guard case .ignored? = map?.requested(status, current: .accepted) else {
                Issue.record("\(status) moved an accepted request back")
                return
            }
        }
        // Only to the other decision, when the map names it.
        #expect(map?.requested("rejected", current: .accepted) == .set("rejected"))
    }

    @Test func theMapCanKeepOrTurnOffAndItsKeysWin() throws {
        #expect(try StatusMap.parse("submitted=keep").requested("submitted", current: .open) == .unchanged(nil))
        #expect(
            try StatusMap.parse("Submitted=in_progress").requested("submitted", current: .open) == .set("in_progress"))
        guard case .ignored = StatusMap.off.requested("submitted", current: .open) else {
            Issue.record("`off` must map nothing")
            return
        }
    }
}
