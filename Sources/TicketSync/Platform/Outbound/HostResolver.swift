import Foundation

/// Host name lookups with a deadline. getaddrinfo has no timeout of its own and can block for as long as the
/// system's resolver retries (resolv.conf), so each lookup runs on a thread of its own and the caller waits for it
/// only until its deadline. A lookup that outlives its deadline keeps its thread until getaddrinfo returns; at most
/// `maxPending` such threads exist per process, and a lookup asked for beyond that is answered `busy` at once, so a
/// resolver that hangs can never pile threads up.
public final class HostResolver: @unchecked Sendable {
    public enum Answer: Sendable, Equatable {
        case addresses([IPAddress])
        case notFound
        case timedOut
        case busy
    }

    /// The process's resolver: getaddrinfo, at most 32 lookups pending at once.
    public static let system = HostResolver(maxPending: 32, lookup: SystemResolver.addresses)

    let maxPending: Int
    private let lookup: @Sendable (String) -> [IPAddress]?
    private let lock = NSLock()
    private var pending = 0

    /// `lookup` answers a host's addresses, or nil when it has none; it may block.
    public init(maxPending: Int, lookup: @escaping @Sendable (String) -> [IPAddress]?) {
        self.maxPending = max(1, maxPending)
        self.lookup = lookup
    }

    /// The lookups started and not yet returned (timed out ones included).
    public var pendingLookups: Int { lock.withLock { pending } }

    public func resolve(_ host: String, within seconds: TimeInterval) -> Answer {
        let admitted = lock.withLock {
            guard pending < maxPending else { return false }
            pending += 1
            return true
        }
        guard admitted else { return .busy }
        let result = LookupResult()
        let lookup = self.lookup
        let thread = Thread { [self] in
            result.finish(lookup(host))
            lock.withLock { pending -= 1 }
        }
        thread.start()
        let deadline = DispatchTime.now() + .milliseconds(HTTPTimeouts.milliseconds(seconds))
        guard result.done.wait(timeout: deadline) == .success else { return .timedOut }
        guard let addresses = result.addresses, !addresses.isEmpty else { return .notFound }
        return .addresses(addresses)
    }

    /// Where the lookup's thread leaves its answer: written once, before `done` is signalled.
    private final class LookupResult: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private(set) var addresses: [IPAddress]?

        func finish(_ found: [IPAddress]?) {
            addresses = found
            done.signal()
        }
    }
}

/// getaddrinfo, every address returned (IPv4 and IPv6), without duplicates. Blocks; `HostResolver` bounds it.
public enum SystemResolver {
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
