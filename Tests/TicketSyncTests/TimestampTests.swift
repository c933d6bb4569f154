import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct TimestampTests {
    @Test func rfc3339UTCWithMilliseconds() {
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_767_323_045.2)) == "2026-01-02T03:04:05.200Z")
    }

    @Test func settingsKeepAWebhookPathButTrimBaseURLs() {
        let settings = Settings(environment: [
            "TICKET_WEBHOOK_URL": "https://hooks.example/in/", "JIRA_BASE_URL": "https://j.example/jira/",
        ])
        #expect(settings.webhookURL?.absoluteString == "https://hooks.example/in/")
        #expect(settings.jira.baseURL?.absoluteString == "https://j.example/jira")
        #expect(Settings(environment: ["TICKET_WEBHOOK_URL": "ftp://x"]).webhookURL == nil)
    }
}
