import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The sweep asks each tracker's provider for its sweeper through `any TicketProvider`: the tracker's own answer
/// must come back, not the protocol's "cannot be swept" default (a database connection is what it is asked with).
@Suite(.enabled(if: TestDatabase.available, "needs DATABASE_URL (make test provides it)"))
struct TrackerSweeperDispatchTests {
    @Test func linearAndTheMockAnswerWithTheirOwnSweepers() throws {
        let db = try TestDatabase.connect()
        let http = RecordingHTTP()
        let registry = ProviderRegistry(
            settings: Settings(environment: [
                "LINEAR_API_KEY": "lin_api_k", "LINEAR_TEAM_ID": "2f1c3a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
                "LINEAR_BASE_URL": "https://api.linear.app",
            ]), http: http)
        let linear: any TicketProvider = try registry.provider(.linear)
        #expect(linear.sweeper(reading: db) is LinearSweeper)
        let mock: any TicketProvider = try registry.provider(.mock)
        #expect(mock.sweeper(reading: db) is MockSweeper)
    }
}
