import Testing

@testable import TicketSync

struct TokenDigestCacheTests {
    @Test func aTokensDigestIsItsSHA256InHexWhetherRememberedOrNot() {
        let token = "tsk_" + String(repeating: "ab", count: 32)
        // sha256("tsk_abab…ab"), computed independently (printf '%s' … | sha256sum).
        let expected = "c1af09b7830b6d92030393de998496ba6a2309271ef04589cc2a6f76154250db"
        #expect(APIToken.digestHex(token) == expected)
        #expect(APIToken.digestHex(token) == expected, "remembered, the same")
    }

    @Test func itIsComputedOnceAndEmptiedWhenFull() {
        let cache = TokenDigestCache(capacity: 3)
        var computed = 0
        let digest: (String) -> String = { token in
            computed += 1
            return "digest-of-" + token
        }
        #expect(cache.digest(of: "a", computing: digest) == "digest-of-a")
        #expect(cache.digest(of: "a", computing: digest) == "digest-of-a")
        #expect(computed == 1, "the second request with the token computes nothing")
        for token in ["b", "c", "d", "e"] { _ = cache.digest(of: token, computing: digest) }
        #expect(cache.count <= 3, "made-up tokens never grow it past its capacity")
        #expect(cache.digest(of: "e", computing: digest) == "digest-of-e")
    }
}
