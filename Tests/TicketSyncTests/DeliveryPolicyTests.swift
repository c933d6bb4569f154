import Foundation
import Testing

@testable import TicketSync

@Suite struct DeliveryPolicyTests {
    let policy = DeliveryPolicy(baseMilliseconds: 1000, capSeconds: 3600, maxAttempts: 12)

    @Test func ceilingDoublesUpToTheCap() {
        #expect((1...5).map { policy.ceilingMilliseconds(afterAttempt: $0) } == [1000, 2000, 4000, 8000, 16000])
        #expect(policy.ceilingMilliseconds(afterAttempt: 13) == 3_600_000)
        #expect(policy.ceilingMilliseconds(afterAttempt: 500) == 3_600_000)
    }

    @Test func fullJitterSpansZeroToTheCeiling() {
        var asked: [ClosedRange<Int>] = []
        _ = policy.delayMilliseconds(afterAttempt: 3, retryAfterSeconds: nil) {
            asked.append($0)
            return $0.lowerBound
        }
        #expect(asked == [0...4000])
        for _ in 0..<200 {
            #expect((0...8000).contains(policy.delayMilliseconds(afterAttempt: 4, retryAfterSeconds: nil)))
        }
    }

    @Test func retryAfterWinsOverBackoff() {
        #expect(policy.delayMilliseconds(afterAttempt: 1, retryAfterSeconds: 7) == 7000)
        #expect(
            policy.delayMilliseconds(afterAttempt: 1, retryAfterSeconds: 10_000_000) == DeliveryPolicy
                .maxRetryAfterSeconds * 1000)
    }

    @Test func givesUpAtTheLimit() {
        #expect(!policy.givesUp(afterAttempt: 11))
        #expect(policy.givesUp(afterAttempt: 12))
    }

    @Test func parsesRetryAfterSecondsAndDates() {
        #expect(DeliveryPolicy.retryAfterSeconds("120") == 120)
        #expect(DeliveryPolicy.retryAfterSeconds(" 5 ") == 5)
        #expect(DeliveryPolicy.retryAfterSeconds(nil) == nil)
        #expect(DeliveryPolicy.retryAfterSeconds("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(DeliveryPolicy.retryAfterSeconds("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == 30)
    }
}
