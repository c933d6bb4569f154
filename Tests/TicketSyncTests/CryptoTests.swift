import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct CryptoTests {
    func hmac(_ key: [UInt8], _ message: String) -> String {
        Hex.encode(Crypto.hmacSHA256(key: key, message: Array(message.utf8)))
    }

    @Test func rfc4231Case1() {
        #expect(
            hmac([UInt8](repeating: 0x0b, count: 20), "Hi There")
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func rfc4231Case2() {
        #expect(
            hmac(Array("Jefe".utf8), "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231Case6KeyLongerThanBlock() {
        #expect(
            hmac([UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First")
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func rfc4231Case7KeyAndDataLongerThanBlock() {
        let data =
            "This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm."
        #expect(
            hmac([UInt8](repeating: 0xaa, count: 131), data)
                == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    @Test func githubWebhookExample() {
        #expect(
            hmac(Array("It's a Secret to Everybody".utf8), "Hello, World!")
                == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    @Test func sha256OfAbc() {
        #expect(
            Hex.encode(Crypto.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func constantTimeEqualsComparesBytesAndLength() {
        #expect(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
    }

    @Test func randomBytesDiffer() {
        #expect(Crypto.randomBytes(32) != Crypto.randomBytes(32))
        #expect(Crypto.randomBytes(16).count == 16)
    }
}
