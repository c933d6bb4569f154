import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

struct PGTimestampTests {
    @Test(arguments: [
        ("2026-11-30 19:34:10.123456", "2026-11-30T19:34:10.123456Z"),
        ("2026-11-30 19:34:10.12", "2026-11-30T19:34:10.120000Z"),
        ("2026-11-30 19:34:10.1", "2026-11-30T19:34:10.100000Z"),
        ("2026-11-30 19:34:10", "2026-11-30T19:34:10.000000Z"),
    ])
    func isoTextBecomesTheAPIsFixedWidth(sent: String, api: String) {
        #expect(PGTimestamp.apiText(sent) == api)
    }

    @Test(arguments: ["", "garbage", "2026-11-30T19:34:10Z", "2026-11-30 19:34:10.1234567", "2026-11-30 19:34:10,5"])
    func anythingElseComesBackAsItWas(sent: String) {
        #expect(PGTimestamp.apiText(sent) == sent)
    }
}
