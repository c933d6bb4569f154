import Foundation

/// The check every call to an org-supplied URL passes before a connection exists (SSRF guard): the host is
/// resolved once here, every address it resolves to must be public (or inside an allowed network), and the
/// connection is then pinned to exactly those addresses, so a second DNS answer can never be used.
public struct OutboundGuard: Sendable, Equatable {
    /// TICKET_ALLOWED_TRACKER_NETWORKS: on-premise trackers (and the tests' loopback fakes). Inside these, plain
    /// http is accepted too.
    public var allowedNetworks: [CIDR]

    public init(allowedNetworks: [CIDR] = []) { self.allowedNetworks = allowedNetworks }

    /// Address classes no org-supplied URL may reach, with the words a refusal uses.
    static let refused: [(network: CIDR, name: String)] = [
        ("0.0.0.0/8", "unspecified"), ("127.0.0.0/8", "loopback"), ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"), ("169.254.0.0/16", "link-local"),
        ("100.64.0.0/10", "carrier-grade NAT"), ("198.18.0.0/15", "benchmarking"), ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"), ("::/128", "unspecified"), ("::1/128", "loopback"), ("fe80::/10", "link-local"),
        ("fc00::/7", "unique-local"), ("ff00::/8", "multicast"),
    ].compactMap { text, name in CIDR(text).map { ($0, name) } }

    /// Why an address may not be connected to, or nil when it may.
    public func refusal(for address: IPAddress) -> String? {
        let checked = address.unmapped
        if allowedNetworks.contains(where: { $0.contains(checked) || $0.contains(address) }) { return nil }
        return Self.refused.first { $0.network.contains(checked) }.map(\.name)
    }

    public func isAllowedNetwork(_ address: IPAddress) -> Bool {
        allowedNetworks.contains { $0.contains(address.unmapped) || $0.contains(address) }
    }

    /// What a check refused: its words are safe to show (no tracker body, only the URL's own host).
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// The addresses a URL may be connected to. Throws when the scheme is not https (plain http only inside an
    /// allowed network), the host does not resolve, or any address it resolves to is refused.
    public func approve(_ url: URL, resolve: (String) -> [IPAddress]? = Resolver.addresses) throws -> [IPAddress] {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else { throw Refusal(reason: "only http(s) URLs with a host are accepted") }
        let addresses: [IPAddress]
        if let literal = IPAddress(literal: host) {
            addresses = [literal]
        } else {
            guard let resolved = resolve(host), !resolved.isEmpty else {
                throw Refusal(reason: "\(host) does not resolve")
            }
            addresses = resolved
        }
        for address in addresses {
            if let name = refusal(for: address) {
                throw Refusal(reason: "\(host) resolves to a \(name) address (\(address)), which is not allowed")
            }
        }
        if scheme == "http", !addresses.allSatisfy(isAllowedNetwork) {
            throw Refusal(reason: "plain http is accepted only inside TICKET_ALLOWED_TRACKER_NETWORKS; use https")
        }
        return addresses
    }
}

/// getaddrinfo, every address returned (IPv4 and IPv6), without duplicates.
public enum Resolver {
    public static func addresses(_ host: String) -> [IPAddress]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return nil }
        defer { freeaddrinfo(list) }
        var found: [IPAddress] = []
        var cursor = list
        while let entry = cursor {
            var bytes: [UInt8]?
            if entry.pointee.ai_family == AF_INET, let raw = entry.pointee.ai_addr {
                bytes = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
            } else if entry.pointee.ai_family == AF_INET6, let raw = entry.pointee.ai_addr {
                bytes = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
            }
            if let address = bytes.flatMap(IPAddress.init(bytes:)), !found.contains(address) { found.append(address) }
            cursor = entry.pointee.ai_next
        }
        return found
    }
}

/// Wraps a client so that every request it sends carries the guard: what providers built from an org's
/// connection use, so no call of theirs can skip the check.
public struct GuardedHTTP: OutboundHTTP {
    let inner: any OutboundHTTP
    let check: OutboundGuard

    public init(_ inner: any OutboundHTTP, check: OutboundGuard) {
        self.inner = inner
        self.check = check
    }

    public func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        var guarded = request
        guarded.guarded = check
        return inner.send(guarded, timeout: timeout)
    }
}
