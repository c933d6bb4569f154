import Foundation

/// Host name lookups with a deadline, shared fairly between orgs. getaddrinfo has no timeout of its own and can block
/// for as long as the system's resolver retries (resolv.conf), so each lookup runs on a thread of its own and the
/// caller waits for it only until its deadline. A lookup that outlives its deadline keeps its thread until getaddrinfo
/// returns. So that no org can hold the lookups of every other:
/// - each owner (an org; nil, the deployment, is an owner of its own) may have at most `maxPendingPerOwner` lookups
///   pending, timed-out ones included: past its share a lookup is answered `busy` at once, to that owner only;
/// - the process has at most `maxPending` pending in all, a ceiling on threads that takes that many owners' full
///   shares to reach;
/// - a name that did not resolve, or not in time, is remembered for `failureMemory` seconds (at most
///   `maxRemembered` names): asked again within that time it is answered `failedRecently` without a new lookup.
public final class HostResolver: @unchecked Sendable {
    public enum Answer: Sendable, Equatable {
        case addresses([IPAddress])
        case notFound
        case timedOut
        case busy
        /// The name failed (`timedOut`: did not resolve in time) within the last `failureMemory` seconds; not looked
        /// up again.
        case failedRecently(timedOut: Bool)
    }

    /// The process's resolver: getaddrinfo, at most 4 lookups pending per org and 64 in all; failures remembered
    /// for 30 s.
    public static let system = HostResolver(maxPending: 64, maxPendingPerOwner: 4, lookup: SystemResolver.addresses)

    let maxPending: Int
    let maxPendingPerOwner: Int
    let failureMemory: TimeInterval
    let maxRemembered: Int
    private let lookup: @Sendable (String) -> [IPAddress]?
    private let now: @Sendable () -> TimeInterval
    private let lock = NSLock()
    private var pending = 0
    private var pendingByOwner: [String: Int] = [:]
    /// Lower-cased host name → whether it timed out (else: not found), and until when that is remembered.
    private var failures: [String: (timedOut: Bool, until: TimeInterval)] = [:]

    /// `lookup` answers a host's addresses, or nil when it has none; it may block. `now` is a monotonic clock in
    /// seconds (replaceable in tests).
    public init(
        maxPending: Int, maxPendingPerOwner: Int? = nil, failureMemory: TimeInterval = 30, maxRemembered: Int = 1024,
        now: @escaping @Sendable () -> TimeInterval = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
        lookup: @escaping @Sendable (String) -> [IPAddress]?
    ) {
        self.maxPending = max(1, maxPending)
        self.maxPendingPerOwner = max(1, min(maxPendingPerOwner ?? maxPending, maxPending))
        self.failureMemory = max(0, failureMemory)
        self.maxRemembered = max(1, maxRemembered)
        self.now = now
        self.lookup = lookup
    }

    /// The lookups started and not yet returned (timed out ones included).
    public var pendingLookups: Int { lock.withLock { pending } }

    /// The lookups of one owner started and not yet returned.
    public func pendingLookups(owner: String?) -> Int { lock.withLock { pendingByOwner[Self.key(owner), default: 0] } }

    /// `owner`: the org the lookup is made for (nil: the deployment's own).
    public func resolve(_ host: String, within seconds: TimeInterval, owner: String? = nil) -> Answer {
        let name = host.lowercased()
        let owner = Self.key(owner)
        let admitted = lock.withLock { () -> Answer? in
            if let failure = rememberedFailure(name) { return .failedRecently(timedOut: failure) }
            guard pending < maxPending, pendingByOwner[owner, default: 0] < maxPendingPerOwner else { return .busy }
            pending += 1
            pendingByOwner[owner, default: 0] += 1
            return nil
        }
        if let refused = admitted { return refused }
        let result = LookupResult()
        let lookup = self.lookup
        let thread = Thread { [self] in
            result.finish(lookup(host))
            lock.withLock {
                pending -= 1
                pendingByOwner[owner, default: 1] -= 1
                if pendingByOwner[owner] == 0 { pendingByOwner[owner] = nil }
            }
        }
        thread.start()
        let deadline = DispatchTime.now() + .milliseconds(HTTPTimeouts.milliseconds(seconds))
        guard result.done.wait(timeout: deadline) == .success else {
            remember(name, timedOut: true)
            return .timedOut
        }
        guard let addresses = result.addresses, !addresses.isEmpty else {
            remember(name, timedOut: false)
            return .notFound
        }
        return .addresses(addresses)
    }

    private static func key(_ owner: String?) -> String { owner.map { "org:\($0)" } ?? "deployment" }

    /// Whether `name` failed recently (and timed out); nil when not, or no longer, remembered. Holds the lock.
    private func rememberedFailure(_ name: String) -> Bool? {
        guard let failure = failures[name] else { return nil }
        guard failure.until > now() else {
            failures[name] = nil
            return nil
        }
        return failure.timedOut
    }

    private func remember(_ name: String, timedOut: Bool) {
        guard failureMemory > 0 else { return }
        let moment = now()
        lock.withLock {
            if failures[name] == nil, failures.count >= maxRemembered {
                failures = failures.filter { $0.value.until > moment }
                // Still full of live entries: the one that would be forgotten first goes now.
                if failures.count >= maxRemembered, let first = failures.min(by: { $0.value.until < $1.value.until }) {
                    failures[first.key] = nil
                }
            }
            failures[name] = (timedOut, moment + failureMemory)
        }
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
