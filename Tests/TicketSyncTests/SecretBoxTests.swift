import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct SecretBoxTests {
    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(Substring(hex)) ?? [] }

    /// The GCM specification's test case 16 (AES-256, 96-bit IV, with associated data), as in NIST SP 800-38D.
    @Test func gcmSpecTestCase16() throws {
        let key = Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let nonce = Self.bytes("cafebabefacedbaddecaf888")
        let plaintext = Self.bytes(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        )
        let aad = Self.bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = try #require(Crypto.aes256GCMSeal(key: key, nonce: nonce, aad: aad, plaintext: plaintext))
        #expect(
            Hex.encode(sealed.ciphertext)
                == "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        )
        #expect(Hex.encode(sealed.tag) == "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(
            Crypto.aes256GCMOpen(key: key, nonce: nonce, aad: aad, ciphertext: sealed.ciphertext, tag: sealed.tag)
                == plaintext)
    }

    /// Test case 13: the empty plaintext, zero key and IV: only a tag.
    @Test func gcmSpecTestCase13() throws {
        let sealed = try #require(
            Crypto.aes256GCMSeal(
                key: [UInt8](repeating: 0, count: 32),
                nonce: [UInt8](repeating: 0, count: 12), aad: [], plaintext: []))
        #expect(sealed.ciphertext.isEmpty)
        #expect(Hex.encode(sealed.tag) == "530f8afbc74536b9a963b4f1c4cb738b")
    }

    static let ring = try! SecretKeyRing.parse(
        """
        # newest first
        k2:\(Data(repeating: 2, count: 32).base64EncodedString())
        k1:\(Data(repeating: 1, count: 32).base64EncodedString())
        """, source: "test")

    @Test func sealsWithTheFirstKeyAndABoundValue() throws {
        let aad = SecretBox.associatedData(org: "o", connection: "c", field: "api_token")
        let (sealed, keyID) = try SecretBox.seal("t0ps3cret", aad: aad, ring: Self.ring)
        #expect(keyID == "k2" && sealed.hasPrefix("v1:k2:") && !sealed.contains("t0ps3cret"))
        #expect(try SecretBox.open(sealed, aad: aad, ring: Self.ring) == "t0ps3cret")
        // A fresh nonce each time: the same value never seals to the same text.
        #expect(try SecretBox.seal("t0ps3cret", aad: aad, ring: Self.ring).sealed != sealed)
    }

    @Test func aValueMovedToAnotherRowOrFieldDoesNotOpen() throws {
        let (sealed, _) = try SecretBox.seal(
            "s", aad: SecretBox.associatedData(org: "o", connection: "c", field: "api_token"),
            ring: Self.ring)
        for aad in [
            SecretBox.associatedData(org: "o", connection: "d", field: "api_token"),
            SecretBox.associatedData(org: "p", connection: "c", field: "api_token"),
            SecretBox.associatedData(org: "o", connection: "c", field: "webhook_secret"),
        ] {
            #expect(throws: SecretBox.Failure.unreadable) { try SecretBox.open(sealed, aad: aad, ring: Self.ring) }
        }
    }

    @Test func tamperingAndUnknownKeysAreRefused() throws {
        let aad = SecretBox.associatedData(org: "o", connection: "c", field: "f")
        let (sealed, _) = try SecretBox.seal("value", aad: aad, ring: Self.ring)
        var bytes = [UInt8](Data(base64Encoded: String(sealed.split(separator: ":")[2]))!)
        bytes[14] ^= 1
        let tampered = "v1:k2:" + Data(bytes).base64EncodedString()
        #expect(throws: SecretBox.Failure.unreadable) { try SecretBox.open(tampered, aad: aad, ring: Self.ring) }
        #expect(throws: SecretBox.Failure.unknownKey("k9")) {
            try SecretBox.open(sealed.replacingOccurrences(of: "v1:k2:", with: "v1:k9:"), aad: aad, ring: Self.ring)
        }
        #expect(throws: SecretBox.Failure.unreadable) { try SecretBox.open("plain text", aad: aad, ring: Self.ring) }
        #expect(throws: SecretBox.Failure.noKey) { try SecretBox.seal("x", aad: aad, ring: .empty) }
    }

    @Test func anOldKeyStillOpensWhatItSealed() throws {
        let old = try SecretKeyRing.parse("k1:\(Data(repeating: 1, count: 32).base64EncodedString())", source: "t")
        let aad = SecretBox.associatedData(org: "o", connection: "c", field: "f")
        let (sealed, keyID) = try SecretBox.seal("kept", aad: aad, ring: old)
        #expect(keyID == "k1")
        #expect(try SecretBox.open(sealed, aad: aad, ring: Self.ring) == "kept")
    }

    @Test(arguments: [
        ("k1", "line 1: expected kid:base64-of-32-bytes"),
        ("bad id!:AAAA", "line 1: expected kid:base64-of-32-bytes"),
        ("k1:AAAA", "line 1 (key k1): the key must be 32 bytes in base64"),
        (
            "k1:\(Data(count: 32).base64EncodedString())\nk1:\(Data(count: 32).base64EncodedString())",
            "line 2: key id k1 appears twice"
        ),
    ])
    func keyRingErrorsNameTheLineNotTheKey(text: String, message: String) {
        #expect(throws: SecretKeyRing.LoadError(description: "test \(message)")) {
            try SecretKeyRing.parse(text, source: "test")
        }
    }

    @Test func theEnvironmentVariableTakesSemicolonsForLineBreaks() throws {
        let one = Data(repeating: 1, count: 32).base64EncodedString()
        let two = Data(repeating: 2, count: 32).base64EncodedString()
        let ring = try SecretKeyRing.load(environment: ["TICKET_SECRET_KEYS": "new:\(two);old:\(one)"])
        #expect(ring.keys.map(\.id) == ["new", "old"] && ring.current?.id == "new")
        #expect(try SecretKeyRing.load(environment: [:]).keys.isEmpty)
    }
}
