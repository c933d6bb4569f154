import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

struct UUIDTextTests {
    @Test func acceptsEitherCaseAndAnswersLowerCase() {
        #expect(
            UUIDText.canonical("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D") == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        #expect(
            UUIDText.canonical("00000000-0000-4000-8000-000000000050") == "00000000-0000-4000-8000-000000000050")
    }

    @Test(arguments: [
        "", "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd",
        "0a1b2c3d-4e5f-4a6b-8c7d_9e0f1a2b3c4d", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g",
        "{a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4}",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3cé",
    ])
    func refusesAnythingElse(text: String) {
        #expect(UUIDText.canonical(text) == nil)
    }

    @Test func bearerTokensAreTrimmedOfBlanks() {
        let token = "tsk_" + String(repeating: "ab", count: 32)
        #expect(BearerToken.parse("Bearer \(token) \t") == token)
        #expect(BearerToken.parse("bearer  \(token)") == token)
        #expect(BearerToken.parse("bearer  \t\(token)") == nil)  // one run of spaces only (AuthTests)
        #expect(BearerToken.parse("Basic \(token)") == nil)
    }
}

struct Base64URLTests {
    @Test func roundTripsEveryLengthAndMatchesRFC4648() {
        // RFC 4648 §10 vectors, in the URL alphabet without padding.
        let vectors = [
            "": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x00, 0x3e]
        #expect(Base64URL.encode(bytes) == "-_-_AD4")
        #expect(Base64URL.decode("-_-_AD4") == bytes)
    }

    @Test(arguments: ["Zg==", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm v"])
    func refusesWhatItNeverWrites(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
