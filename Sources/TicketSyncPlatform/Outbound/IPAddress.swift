import Foundation

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, parsed from a literal or taken from a resolver answer.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// `192.0.2.1` or `2001:db8::1` (brackets allowed); nil for anything else, host names included.
    public init?(literal: String) {
        var text = literal
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// The IPv4 address an IPv6 one carries and delivers to: IPv4-mapped `::ffff:a.b.c.d` (the socket connects to
    /// the IPv4 address), NAT64 `64:ff9b::a.b.c.d` (RFC 6052: a translator forwards to it) and 6to4
    /// `2002:aabb:ccdd::/48` (RFC 3056: a relay tunnels to it). Nil for any other address.
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let head = bytes.prefix(12)
        if head.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF])
            || head.elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0])
        {
            return IPAddress(bytes: Array(bytes.suffix(4)))
        }
        if bytes.starts(with: [0x20, 0x02]) { return IPAddress(bytes: Array(bytes.dropFirst(2).prefix(4))) }
        return nil
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = isIPv4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count))
        }
        guard written != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A network in CIDR notation, `10.0.0.0/8` or `fc00::/7`.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public let network: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(literal: String(first)) else { return nil }
        let maximum = address.bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard let given = parts.last.flatMap({ Int($0) }), (0...maximum).contains(given) else { return nil }
            prefix = given
        } else if parts.count > 2 {
            return nil
        }
        self.network = address
        self.prefix = prefix
    }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefix
        for (given, expected) in zip(address.bytes, network.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if given & mask != expected & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(network)/\(prefix)" }

    /// A comma- or space-separated list; nil names the first entry that is not a network.
    public static func list(_ text: String) -> Result<[CIDR], ListError> {
        var networks: [CIDR] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == " " }) where !item.isEmpty {
            guard let network = CIDR(String(item)) else { return .failure(ListError(entry: String(item))) }
            networks.append(network)
        }
        return .success(networks)
    }

    public struct ListError: Error, Equatable {
        public let entry: String
    }
}
