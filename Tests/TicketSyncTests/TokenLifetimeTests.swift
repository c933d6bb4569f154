import Foundation
import Testing

@testable import TicketSync

struct TokenLifetimeTests {
    @Test(arguments: [("90d", 90 * 86_400), ("12h", 43_200), ("30m", 1_800), ("45s", 45), ("2w", 1_209_600)])
    func wholeNumbersWithAUnit(text: String, seconds: Int) {
        #expect(TokenLifetime.seconds(text) == seconds)
    }

    @Test(arguments: ["", "90", "d", "0d", "-1d", "1.5d", "90 d", "90D", "1y", "4000d", "9223372036854775807w"])
    func anythingElseIsRefused(text: String) {
        #expect(TokenLifetime.seconds(text) == nil)
    }
}
