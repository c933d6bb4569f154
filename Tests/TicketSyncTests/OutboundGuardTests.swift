import Foundation
import Testing

@testable import TicketSync

@Suite struct OutboundGuardTests {
    let hosted = OutboundGuard()

    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"), ("172.31.255.255", "private"),
        ("192.168.0.1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.255", "carrier-grade NAT"), ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("fc00::1", "unique-local"),
        ("fd12::1", "unique-local"), ("198.18.0.1", "benchmarking"), ("240.0.0.1", "reserved"),
        ("::ffff:169.254.169.254", "link-local"), ("::ffff:127.0.0.1", "loopback"),
    ])
    func refusesEachClass(address: String, name: String) throws {
        #expect(hosted.refusal(for: try #require(IPAddress(literal: address))) == name)
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "192.0.2.1"])
    func acceptsPublicAddresses(address: String) throws {
        #expect(hosted.refusal(for: try #require(IPAddress(literal: address))) == nil)
    }

    @Test func theAllowListAdmitsItsNetworksAndPlainHttpInsideThem() throws {
        let onPremise = OutboundGuard(allowedNetworks: [try #require(CIDR("10.20.0.0/16"))])
        #expect(onPremise.refusal(for: try #require(IPAddress(literal: "10.20.3.4"))) == nil)
        #expect(onPremise.refusal(for: try #require(IPAddress(literal: "10.21.3.4"))) == "private")
        #expect(try onPremise.approve(URL(string: "http://10.20.3.4:8080/jira")!).map(\.description) == ["10.20.3.4"])
        #expect(throws: OutboundGuard.Refusal.self) { try onPremise.approve(URL(string: "http://192.0.2.1/")!) }
        #expect(try onPremise.approve(URL(string: "https://192.0.2.1/")!).count == 1)
    }

    /// The guard judges every address a name resolves to (here from a stand-in resolver: no DNS traffic).
    @Test func aNameIsRefusedWhenAnyOfItsAddressesIs() throws {
        let rebinding: (String) -> [IPAddress]? = { _ in
            [IPAddress(literal: "203.0.113.7")!, IPAddress(literal: "169.254.169.254")!]
        }
        #expect(
            throws: OutboundGuard.Refusal(
                reason:
                    "tracker.example resolves to a link-local address (169.254.169.254), which is not allowed")
        ) {
            try hosted.approve(URL(string: "https://tracker.example/")!, resolve: rebinding)
        }
        let fine: (String) -> [IPAddress]? = { _ in [IPAddress(literal: "203.0.113.7")!] }
        #expect(
            try hosted.approve(URL(string: "https://tracker.example/")!, resolve: fine).map(\.description) == [
                "203.0.113.7"
            ])
        #expect(throws: OutboundGuard.Refusal(reason: "nowhere.example does not resolve")) {
            try hosted.approve(URL(string: "https://nowhere.example/")!, resolve: { _ in nil })
        }
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
            result
                == .failure(
                    "refused: 169.254.169.254 resolves to a link-local address (169.254.169.254), which is not allowed")
        )
    }
}
