import CCurl
import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct OutboundGuardTests {
    let hosted = OutboundGuard()

    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"), ("172.31.255.255", "private"),
        ("192.168.0.1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.255", "carrier-grade NAT"), ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("fc00::1", "unique-local"),
        ("fd12::1", "unique-local"), ("198.18.0.1", "benchmarking"), ("240.0.0.1", "reserved"),
        ("::ffff:169.254.169.254", "link-local"), ("::ffff:127.0.0.1", "loopback"),
        // NAT64 and 6to4 carry an IPv4 address, judged as such; the other IPv6 ranges that reach inside.
        ("64:ff9b::7f00:1", "loopback"), ("64:ff9b::a9fe:a9fe", "link-local"), ("64:ff9b::10.1.2.3", "private"),
        ("2002:a00:1::1", "private"), ("2002:7f00:1::", "loopback"), ("2002:a9fe:a9fe::1", "link-local"),
        ("::10.0.0.1", "IPv4-compatible"), ("::8.8.8.8", "IPv4-compatible"), ("fec0::1", "site-local"),
        ("feff::1", "site-local"), ("192.0.0.8", "special-purpose"), ("192.0.0.170", "special-purpose"),
        ("64:ff9b:1::8.8.8.8", "local-use NAT64"),
    ])
    func refusesEachClass(address: String, name: String) throws {
        #expect(hosted.refusal(for: try #require(IPAddress(literal: address))) == name)
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "192.0.2.1", "192.0.1.255",
        "64:ff9b::808:808", "2002:808:808::1",
    ])
    func acceptsPublicAddresses(address: String) throws {
        #expect(hosted.refusal(for: try #require(IPAddress(literal: address))) == nil)
    }

    @Test func theAllowListAdmitsItsNetworksAndPlainHttpInsideThem() throws {
        let onPremise = OutboundGuard(allowedNetworks: [try #require(CIDR("10.20.0.0/16"))])
        #expect(onPremise.refusal(for: try #require(IPAddress(literal: "10.20.3.4"))) == nil)
        #expect(onPremise.refusal(for: try #require(IPAddress(literal: "10.21.3.4"))) == "private")
        #expect(
            try onPremise.approve(URL(string: "http://10.20.3.4:8080/jira")!, within: 1).map(\.description) == [
                "10.20.3.4"
            ])
        #expect(throws: OutboundGuard.Refusal.self) {
            try onPremise.approve(URL(string: "http://192.0.2.1/")!, within: 1)
        }
        #expect(try onPremise.approve(URL(string: "https://192.0.2.1/")!, within: 1).count == 1)
        // A NAT64 form of an allowed address is inside the network too.
        #expect(onPremise.refusal(for: try #require(IPAddress(literal: "64:ff9b::10.20.3.4"))) == nil)
    }

    /// A stand-in resolver answering fixed addresses: no DNS traffic.
    static func answering(_ addresses: [String]?) -> HostResolver {
        HostResolver(maxPending: 4) { _ in addresses.map { $0.compactMap(IPAddress.init(literal:)) } }
    }

    /// The guard judges every address a name resolves to, and names the address only in the log.
    @Test func aNameIsRefusedWhenAnyOfItsAddressesIs() throws {
        let rebinding = Self.answering(["203.0.113.7", "169.254.169.254"])
        #expect(throws: OutboundGuard.Refusal(reason: "tracker.example resolves to an address that is not allowed")) {
            try hosted.approve(URL(string: "https://tracker.example/")!, within: 1, resolver: rebinding)
        }
        #expect(
            try hosted.approve(
                URL(string: "https://tracker.example/")!, within: 1, resolver: Self.answering(["203.0.113.7"])
            ).map(\.description) == ["203.0.113.7"])
        #expect(throws: OutboundGuard.Refusal(reason: "nowhere.example does not resolve", kind: .notFound)) {
            try hosted.approve(URL(string: "https://nowhere.example/")!, within: 1, resolver: Self.answering(nil))
        }
        #expect(throws: OutboundGuard.Refusal(reason: "10.1.2.3 is a private address, which is not allowed")) {
            try hosted.approve(URL(string: "https://10.1.2.3/")!, within: 1)
        }
        #expect(throws: OutboundGuard.Refusal(reason: "0.0.0.0 is an unspecified address, which is not allowed")) {
            try hosted.approve(URL(string: "https://0.0.0.0/")!, within: 1)
        }
    }

    /// A lookup that hangs, until the test lets it go.
    final class HangingLookup: @unchecked Sendable {
        let release = DispatchSemaphore(value: 0)
        lazy var resolver = HostResolver(maxPending: 2) { [release] _ in
            release.wait()
            release.signal()  // every other hung lookup goes too
            return [IPAddress(literal: "203.0.113.7")!]
        }
    }

    /// A resolver that never answers: the guard gives up at its deadline with a timeout of its own.
    @Test func aHungLookupTimesOutWithinItsDeadline() throws {
        let hanging = HangingLookup()
        defer { hanging.release.signal() }
        let started = Date()
        #expect(
            throws: OutboundGuard.Refusal(
                reason: "tracker.example did not resolve within 200 ms", kind: .timedOut)
        ) {
            try hosted.approve(URL(string: "https://tracker.example/")!, within: 0.2, resolver: hanging.resolver)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.2 && elapsed < 1, "gave up after \(elapsed) s")
    }

    /// Hung lookups keep their threads, but no more than the cap: past it a lookup is refused at once.
    @Test func hungLookupsAreCapped() throws {
        let hanging = HangingLookup()
        let resolver = hanging.resolver
        #expect(resolver.resolve("a.example", within: 0.05) == .timedOut)
        #expect(resolver.resolve("b.example", within: 0.05) == .timedOut)
        #expect(resolver.pendingLookups == 2)
        let started = Date()
        #expect(resolver.resolve("c.example", within: 5) == .busy)
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(throws: OutboundGuard.Refusal.self) {
            try hosted.approve(URL(string: "https://c.example/")!, within: 5, resolver: resolver)
        }
        hanging.release.signal()
        let deadline = Date().addingTimeInterval(5)
        while resolver.pendingLookups > 0 && Date() < deadline { usleep(10_000) }
        #expect(resolver.pendingLookups == 0)
        #expect(resolver.resolve("d.example", within: 1) == .addresses([IPAddress(literal: "203.0.113.7")!]))
    }

    /// A guarded call whose lookup hangs fails within its connect timeout, as a timeout (not a refused address).
    @Test func aGuardedCallWithAHungLookupFailsWithinItsConnectTimeout() {
        let hanging = HangingLookup()
        defer { hanging.release.signal() }
        let client = CurlHTTP(resolver: hanging.resolver)
        let started = Date()
        let result = client.send(
            OutboundRequest(url: URL(string: "https://tracker.example/")!, method: "GET", guarded: hosted),
            timeout: HTTPTimeouts(connect: 0.3, total: 5))
        #expect(result == .failure("host lookup timed out: tracker.example did not resolve within 300 ms"))
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(ConnectionCheck.errorClass(transport: result.summary) == "timeout")
    }

    /// libcurl that cannot be limited to http(s) fails the call rather than sending it unrestricted.
    @Test func aCallFailsClosedWhenTheProtocolsCannotBeRestricted() throws {
        let closed = try Self.closedPort()
        let client = CurlHTTP(restrictProtocols: { _ in CURLE_UNKNOWN_OPTION })
        let result = client.send(
            OutboundRequest(url: URL(string: "http://127.0.0.1:\(closed)/")!, method: "GET"),
            timeout: HTTPTimeouts(connect: 1, total: 1))
        #expect(
            result
                == .failure(
                    "request failed (libcurl did not take a required option: curl \(CURLE_UNKNOWN_OPTION.rawValue))"))
        // The same call with the restriction in place reaches the (closed) port.
        #expect(
            CurlHTTP().send(
                OutboundRequest(url: URL(string: "http://127.0.0.1:\(closed)/")!, method: "GET"),
                timeout: HTTPTimeouts(connect: 1, total: 1)) == .failure("connection refused"))
    }

    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        try #require(bound)
        return UInt16(bigEndian: address.sin_port)
    }

    @Test func cidrParsingAndMembership() throws {
        #expect(CIDR("10.0.0.0/8")?.contains(IPAddress(literal: "10.255.0.1")!) == true)
        #expect(CIDR("10.0.0.0/8")?.contains(IPAddress(literal: "11.0.0.1")!) == false)
        #expect(CIDR("fc00::/7")?.contains(IPAddress(literal: "fdff::1")!) == true)
        #expect(CIDR("10.0.0.0/33") == nil && CIDR("tracker.example/8") == nil && CIDR("1.2.3.4/8/9") == nil)
        #expect(CIDR("192.0.2.7")?.prefix == 32)
        guard case .failure(let error) = CIDR.list("127.0.0.0/8, nope") else {
            Issue.record("accepted")
            return
        }
        #expect(error.entry == "nope")
    }

    @Test func aGuardedRequestToARefusedAddressNeverConnects() {
        let client = CurlHTTP()
        let result = client.send(
            OutboundRequest(
                url: URL(string: "https://169.254.169.254/latest/meta-data")!, method: "GET",
                guarded: hosted), timeout: HTTPTimeouts(connect: 1, total: 1))
        #expect(
            result == .failure("refused: 169.254.169.254 is a link-local address, which is not allowed"))
    }
}
