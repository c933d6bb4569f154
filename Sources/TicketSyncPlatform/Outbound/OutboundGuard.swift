import Foundation

/// The check every call to an org-supplied URL passes before a connection exists (SSRF guard): the host is
/// resolved once here, every address it resolves to must be public (or inside an allowed network), and the
/// connection is then pinned to exactly those addresses, so a second DNS answer can never be used.
public struct OutboundGuard: Sendable, Equatable {
    /// TICKET_ALLOWED_TRACKER_NETWORKS: on-premise trackers (and the tests' loopback fakes). Inside these, plain
    /// http is accepted too.
    public var allowedNetworks: [CIDR]
    /// How long a host name's lookup may take when a URL is saved (TICKET_HTTP_CONNECT_TIMEOUT_S); a call's lookup
    /// gets the call's own connect timeout.
    public var lookupSeconds: TimeInterval
    /// The org whose URLs these are: its host name lookups count against its own share of the resolver's (nil: the
    /// deployment's).
    public var owner: String?

    public init(allowedNetworks: [CIDR] = [], lookupSeconds: TimeInterval = 5, owner: String? = nil) {
        self.allowedNetworks = allowedNetworks
        self.lookupSeconds = lookupSeconds
        self.owner = owner
    }

    /// The same guard, its lookups counted for `org`.
    public func owned(by org: String?) -> OutboundGuard {
        var owned = self
        owned.owner = org
        return owned
    }

    /// Address classes no org-supplied URL may reach, with the words a refusal uses. The first that contains an
    /// address names it (`::` and `::1` before the rest of `::/96`).
    static let refused: [(network: CIDR, name: String)] = [
        ("0.0.0.0/8", "unspecified"), ("127.0.0.0/8", "loopback"), ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"), ("169.254.0.0/16", "link-local"),
        ("100.64.0.0/10", "carrier-grade NAT"), ("192.0.0.0/24", "special-purpose"), ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"), ("::/128", "unspecified"), ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible"), ("64:ff9b:1::/48", "local-use NAT64"), ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"), ("fc00::/7", "unique-local"), ("ff00::/8", "multicast"),
    ].compactMap { text, name in CIDR(text).map { ($0, name) } }

    /// Why an address may not be connected to, or nil when it may. An IPv6 address that carries an IPv4 one
    /// (IPv4-mapped, NAT64, 6to4) is judged by that IPv4 address too: it is where the packets end up.
    public func refusal(for address: IPAddress) -> String? {
        if isAllowedNetwork(address) { return nil }
        let judged = address.embeddedIPv4.map { [$0, address] } ?? [address]
        for candidate in judged {
            if let name = Self.refused.first(where: { $0.network.contains(candidate) })?.name { return name }
        }
        return nil
    }

    public func isAllowedNetwork(_ address: IPAddress) -> Bool {
        allowedNetworks.contains { network in
            network.contains(address) || address.embeddedIPv4.map { network.contains($0) } == true
        }
    }

    /// What a check refused: its words are safe to show (no tracker body, only the URL's own host, never an address a
    /// name resolved to: that goes to the log).
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The scheme, or an address the URL names or resolves to.
            case refused
            /// The host name has no address.
            case notFound
            /// The lookup did not finish within its deadline.
            case timedOut
            /// The owner's share of pending lookups (or the process's) is taken: nothing was looked up.
            case busy
        }

        public let reason: String
        public var kind: Kind

        public init(reason: String, kind: Kind = .refused) {
            self.reason = reason
            self.kind = kind
        }

        public var description: String { reason }
    }

    /// The addresses a URL may be connected to. Throws when the scheme is not https (plain http only inside an
    /// allowed network), the host does not resolve within `seconds`, or any address it resolves to is refused.
    public func approve(_ url: URL, within seconds: TimeInterval, resolver: HostResolver = .system) throws
        -> [IPAddress]
    {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else { throw Refusal(reason: "only http(s) URLs with a host are accepted") }
        let addresses: [IPAddress]
        if let literal = IPAddress(literal: host) {
            if let name = refusal(for: literal) {
                throw Refusal(reason: "\(host) is \(Self.article(name)) \(name) address, which is not allowed")
            }
            addresses = [literal]
        } else {
            switch resolver.resolve(host, within: seconds, owner: owner) {
            case .addresses(let resolved): addresses = resolved
            case .notFound: throw Refusal(reason: "\(host) does not resolve", kind: .notFound)
            case .timedOut:
                throw Refusal(
                    reason: "\(host) did not resolve within \(HTTPTimeouts.milliseconds(seconds)) ms", kind: .timedOut)
            case .busy:
                throw Refusal(reason: "too many host name lookups are pending to look up \(host)", kind: .busy)
            case .failedRecently(let timedOut):
                let failure = timedOut ? "did not resolve in time" : "did not resolve"
                throw Refusal(
                    reason: "\(host) \(failure) moments ago (a failed lookup is remembered for "
                        + "\(Int(resolver.failureMemory)) s)", kind: timedOut ? .timedOut : .notFound)
            }
            for address in addresses {
                if let name = refusal(for: address) {
                    ServerLog.warning(
                        "outbound guard: \(host) resolves to \(address), \(Self.article(name)) \(name) address")
                    throw Refusal(reason: "\(host) resolves to an address that is not allowed")
                }
            }
        }
        if scheme == "http", !addresses.allSatisfy(isAllowedNetwork) {
            throw Refusal(reason: "plain http is accepted only inside TICKET_ALLOWED_TRACKER_NETWORKS; use https")
        }
        return addresses
    }

    /// "an unspecified", "an IPv4-compatible"; "a" before the other names.
    static func article(_ name: String) -> String {
        name == "unspecified" || name.hasPrefix("IPv4") ? "an" : "a"
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
