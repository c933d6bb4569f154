import Testing
import TicketSyncPlatform

@testable import TicketSync

/// Lanes found with nothing due rest for a while, then are claimed from again.
struct LaneRestsTests {
    final class Clock: @unchecked Sendable {
        var nanoseconds: UInt64 = 1_000_000_000
    }

    @Test func aLaneRestsForItsTimeThenIsLookedAtAgain() {
        let clock = Clock()
        let rests = LaneRests(milliseconds: 500, now: { clock.nanoseconds })
        rests.rest(["b", "a"])
        #expect(rests.resting() == ["a", "b"])
        clock.nanoseconds += 499_000_000
        rests.rest(["c"])
        #expect(rests.resting() == ["a", "b", "c"])
        clock.nanoseconds += 1_000_000
        #expect(rests.resting() == ["c"], "a and b rested 500 ms")
        clock.nanoseconds += 499_000_000
        #expect(rests.resting().isEmpty)
    }

    @Test func restingAgainStartsTheRestOver() {
        let clock = Clock()
        let rests = LaneRests(milliseconds: 100, now: { clock.nanoseconds })
        rests.rest(["a"])
        clock.nanoseconds += 90_000_000
        rests.rest(["a"])
        clock.nanoseconds += 90_000_000
        #expect(rests.resting() == ["a"])
    }

    @Test func lanesTravelAsQuotedArrayElementsAndComeBackFromAList() {
        #expect(SQLFragments.textArray([]) == "{}")
        #expect(SQLFragments.textArray(["mock", "a\"b,c\\d"]) == #"{"mock","a\"b,c\\d"}"#)
        #expect(LaneRests.lanes(fromList: "") == [])
        #expect(
            LaneRests.lanes(fromList: "mock,7c9e6679-7425-40de-944b-e07fc1f90ae7")
                == ["mock", "7c9e6679-7425-40de-944b-e07fc1f90ae7"])
    }
}
