import Synchronization

/// The stored form of the tokens this process saw last. A client sends the same token with every request, and its
/// SHA-256 and hex text cost about 16,000 instructions of a thread GET's 450,000 (callgrind); a lookup here costs
/// a hash of the token. Only the digest is remembered per token, never whether it is valid: every request still finds
/// its token row (revoked, expired, unknown) in the database. Bounded: emptied when full, so tokens made up by a
/// caller cannot grow it.
final class TokenDigestCache: Sendable {
    private let digests = Mutex<[String: String]>([:])
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func digest(of token: String, computing compute: (String) -> String) -> String {
        if let known = digests.withLock({ $0[token] }) { return known }
        let digest = compute(token)
        digests.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[token] = digest
        }
        return digest
    }

    var count: Int { digests.withLock { $0.count } }
}
