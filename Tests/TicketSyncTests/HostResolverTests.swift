import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The resolver is shared by every org of a process: one org whose names never answer must not take the lookups of
/// the others, nor start a new lookup each time it retries the same name. Stand-in lookups only: no DNS traffic.
@Suite struct HostResolverTests {
    static let answer = [IPAddress(literal: "127.0.0.1")!]

    /// Names under `.hang.example` block until the test releases them; `nowhere.example` has no address; any other
    /// name answers 127.0.0.1 at once. Counts the lookups it was asked for.
    final class StandIn: @unchecked Sendable {
        let release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var asked: [String] = []
        var lookups: [String] { lock.withLock { asked } }

        func lookup(_ host: String) -> [IPAddress]? {
            lock.withLock { asked.append(host) }
            if host.hasSuffix(".hang.example") {
                release.wait()
                release.signal()  // every other hung lookup goes too
            }
            return host == "nowhere.example" ? nil : HostResolverTests.answer
        }
    }

    /// A clock the test moves by hand.
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var seconds: TimeInterval = 1000
        var now: TimeInterval { lock.withLock { seconds } }
        func advance(_ by: TimeInterval) { lock.withLock { seconds += by } }
    }

    static func resolver(_ standIn: StandIn, clock: Clock = Clock(), remembered: Int = 1024) -> HostResolver {
        HostResolver(
            maxPending: 32, maxPendingPerOwner: 4, maxRemembered: remembered, now: { clock.now },
            lookup: standIn.lookup)
    }

    static func waitUntilIdle(_ resolver: HostResolver) {
        let deadline = Date().addingTimeInterval(5)
        while resolver.pendingLookups > 0 && Date() < deadline { usleep(10_000) }
    }

    @Test func anOrgPastItsShareIsBusyAndAnotherOrgStillResolves() throws {
        let standIn = StandIn()
        let resolver = Self.resolver(standIn)
        defer { standIn.release.signal() }
        // Org A saves four names that never answer: each times out, and keeps its thread.
        for index in 1...4 {
            #expect(resolver.resolve("a\(index).hang.example", within: 0.05, owner: "org-a") == .timedOut)
        }
        #expect(resolver.pendingLookups(owner: "org-a") == 4)
        // Its fifth is refused at once, without a lookup; through the guard too (the guard passes its owner).
        let started = Date()
        #expect(resolver.resolve("a5.hang.example", within: 5, owner: "org-a") == .busy)
        let orgA = OutboundGuard().owned(by: "org-a")
        #expect(throws: OutboundGuard.Refusal.self) {
            try orgA.approve(URL(string: "https://a6.hang.example/")!, within: 5, resolver: resolver)
        }
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(standIn.lookups.count == 4)
        // Org B, and the deployment's own lookups, still resolve, although the process has lookups pending.
        #expect(resolver.resolve("tracker.example", within: 1, owner: "org-b") == .addresses(Self.answer))
        let orgB = OutboundGuard(allowedNetworks: [CIDR("127.0.0.0/8")!]).owned(by: "org-b")
        #expect(try orgB.approve(URL(string: "https://jira.example/")!, within: 1, resolver: resolver) == Self.answer)
        #expect(resolver.resolve("tracker.example", within: 1) == .addresses(Self.answer))
        // Once A's lookups return, its share is free again.
        standIn.release.signal()
        Self.waitUntilIdle(resolver)
        #expect(resolver.pendingLookups(owner: "org-a") == 0)
        #expect(resolver.resolve("tracker.example", within: 1, owner: "org-a") == .addresses(Self.answer))
    }

    /// A connection's calls look their host up as its org: they count against that org's share.
    @Test func aConnectionsCallsLookUpAsItsOrg() throws {
        let standIn = StandIn()
        let resolver = Self.resolver(standIn)
        defer { standIn.release.signal() }
        let connection = Connection(
            id: "c1", orgID: "org-a", kind: .webhook, name: "Hangs", settings: ["url": "https://t.hang.example/"],
            secrets: [:], isDefault: false, disabled: false, createdAt: "", updatedAt: "")
        let config = try TrackerConfig.connection(connection, keys: .empty, guard: OutboundGuard())
        let check = try #require(config.outboundGuard)
        #expect(check.owner == "org-a")
        let result = CurlHTTP(resolver: resolver).send(
            OutboundRequest(url: try #require(Settings.httpURL(config.settings["url"])), method: "POST", guarded: check),
            timeout: HTTPTimeouts(connect: 0.05, total: 1))
        #expect(result == .failure("host lookup timed out: t.hang.example did not resolve within 50 ms"))
        #expect(resolver.pendingLookups(owner: "org-a") == 1 && resolver.pendingLookups(owner: nil) == 0)
    }

    @Test func aFailedNameIsNotLookedUpAgainUntilItsMemoryRunsOut() {
        let standIn = StandIn()
        let clock = Clock()
        let resolver = Self.resolver(standIn, clock: clock)
        defer { standIn.release.signal() }
        #expect(resolver.resolve("nowhere.example", within: 1, owner: "org-a") == .notFound)
        #expect(resolver.resolve("x.hang.example", within: 0.05, owner: "org-a") == .timedOut)
        #expect(standIn.lookups.count == 2)
        // Saved again, or called, by any org, within 30 s: answered at once, nothing new looked up or pending.
        let started = Date()
        for _ in 0..<10 {
            #expect(resolver.resolve("NOWHERE.example", within: 1, owner: "org-a") == .failedRecently(timedOut: false))
            #expect(resolver.resolve("x.hang.example", within: 5, owner: "org-b") == .failedRecently(timedOut: true))
        }
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(standIn.lookups.count == 2)
        #expect(resolver.pendingLookups == 1)
        let orgA = OutboundGuard().owned(by: "org-a")
        #expect(
            throws: OutboundGuard.Refusal(
                reason: "nowhere.example did not resolve moments ago (a failed lookup is remembered for 30 s)",
                kind: .notFound)
        ) { try orgA.approve(URL(string: "https://nowhere.example/")!, within: 1, resolver: resolver) }
        // After 30 s the name is looked up again.
        clock.advance(29)
        #expect(resolver.resolve("nowhere.example", within: 1) == .failedRecently(timedOut: false))
        clock.advance(2)
        #expect(resolver.resolve("nowhere.example", within: 1) == .notFound)
        #expect(standIn.lookups.count == 3)
        // A name that resolves is not remembered: it is looked up every time (DNS may change).
        #expect(resolver.resolve("tracker.example", within: 1) == .addresses(Self.answer))
        #expect(resolver.resolve("tracker.example", within: 1) == .addresses(Self.answer))
        #expect(standIn.lookups.count == 5)
    }

    @Test func theMemoryOfFailuresIsBounded() {
        let clock = Clock()
        let failing = HostResolver(maxPending: 4, maxRemembered: 2, now: { clock.now }, lookup: { _ in nil })
        for name in ["one.example", "two.example"] {
            #expect(failing.resolve(name, within: 1) == .notFound)
            clock.advance(1)
        }
        // Two names remembered, the most there may be: a third pushes out the one that would be forgotten first.
        #expect(failing.resolve("three.example", within: 1) == .notFound)
        #expect(failing.resolve("one.example", within: 1) == .notFound)
        #expect(failing.resolve("three.example", within: 1) == .failedRecently(timedOut: false))
    }
}

/// Saving a connection with a plain http host name looks the name up; that lookup is a tracker call of the org's own:
/// it holds one of the org's tracker slots, and is not made at all when they are taken.
@Suite struct SavedURLCheckTests {
    /// Loopback allowed (plain http accepted there); a lookup gets 50 ms when a URL is saved.
    static let loopback = OutboundGuard(allowedNetworks: [CIDR("127.0.0.0/8")!], lookupSeconds: 0.05)

    static func save(_ url: String, org: String, bulkhead: TrackerBulkhead, resolver: HostResolver) throws -> String {
        try ConnectionSpec.trackerURL(
            url, field: "settings.url", keepTrailingSlash: true,
            urls: SavedURLCheck(org: org, guard: loopback, bulkhead: bulkhead, resolver: resolver))
    }

    @Test func aSavedHostNameIsLookedUpInOneOfTheOrgsTrackerSlots() throws {
        let bulkhead = TrackerBulkhead(limit: 2, orgLimit: 1)
        let slotTakenDuringLookup = LockedFlag()
        let resolver = HostResolver(maxPending: 4) { _ in
            // While the lookup runs, the org's one slot is taken: another call of the org would not get one.
            slotTakenDuringLookup.set(bulkhead.withSlot(.init(tracker: "other", org: "org-a")) { true } == nil)
            return HostResolverTests.answer
        }
        #expect(try Self.save("http://tracker.example/", org: "org-a", bulkhead: bulkhead, resolver: resolver) != "")
        #expect(slotTakenDuringLookup.value)
    }

    @Test func noLookupWhileTheOrgsTrackerSlotsAreTaken() throws {
        let bulkhead = TrackerBulkhead(limit: 2, orgLimit: 1)
        let standIn = HostResolverTests.StandIn()
        let resolver = HostResolverTests.resolver(standIn)
        // Org A's one slot is held (a call to its tracker that hangs): its save answers 503 at once, unresolved.
        try bulkhead.withSlot(.init(tracker: "hanging-tracker", org: "org-a")) {
            do {
                _ = try Self.save("http://tracker.example/", org: "org-a", bulkhead: bulkhead, resolver: resolver)
                Issue.record("saved while the org's slots were taken")
            } catch let error as APIError {
                #expect(error.status == 503 && error.problem.slug == "provider-busy")
                #expect(error.headers.contains { $0.name == "Retry-After" })
            }
            #expect(standIn.lookups.isEmpty)
            // Org B's save is not held back.
            #expect(
                try Self.save("http://tracker.example/", org: "org-b", bulkhead: bulkhead, resolver: resolver)
                    == "http://tracker.example/")
        }
    }

    @Test func anOrgPastItsShareOfLookupsGets503NotARefusal() throws {
        let standIn = HostResolverTests.StandIn()
        let resolver = HostResolverTests.resolver(standIn)
        defer { standIn.release.signal() }
        let bulkhead = TrackerBulkhead(limit: 8, orgLimit: 8)
        for index in 1...4 {
            #expect(throws: APIError.self) {
                try Self.save("http://a\(index).hang.example/", org: "org-a", bulkhead: bulkhead, resolver: resolver)
            }
        }
        do {
            _ = try Self.save("http://a5.hang.example/", org: "org-a", bulkhead: bulkhead, resolver: resolver)
            Issue.record("saved")
        } catch let error as APIError {
            #expect(error.status == 503 && error.problem.slug == "provider-busy")
        }
        #expect(standIn.lookups.count == 4)
        #expect(
            try Self.save("http://tracker.example/", org: "org-b", bulkhead: bulkhead, resolver: resolver)
                == "http://tracker.example/")
    }

    final class LockedFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var flag = false
        var value: Bool { lock.withLock { flag } }
        func set(_ value: Bool) { lock.withLock { flag = value } }
    }
}
