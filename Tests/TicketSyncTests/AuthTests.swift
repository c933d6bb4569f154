import Testing

@testable import TicketSync

@Suite struct AuthTests {
    @Test func generatedTokensCarry256BitsAndPassTheShapeCheck() {
        let token = APIToken.generate()
        #expect(token.hasPrefix("tsk_") && token.count == 68)
        #expect(APIToken.looksValid(token))
        #expect(APIToken.generate() != token)
    }

    @Test func digestIsSHA256Hex() {
        #expect(APIToken.digestHex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func bearerHeaderParsing() {
        let token = APIToken.generate()
        #expect(BearerToken.parse("Bearer \(token)") == token)
        #expect(BearerToken.parse("bearer  \(token)") == token)
        #expect(BearerToken.parse("Basic \(token)") == nil)
        #expect(BearerToken.parse("Bearer tsk_short") == nil)
        #expect(BearerToken.parse("Bearer") == nil)
        #expect(BearerToken.parse(nil) == nil)
    }

    /// One scheme, one run of spaces, one token of the expected shape: what nginx's per-token limit keys on too.
    @Test func malformedAuthorizationIsNoToken() {
        let token = APIToken.generate()
        #expect(BearerToken.parse("BEARER     \(token)") == token)
        #expect(BearerToken.parse("Bearer \(token) \t") == token)  // the blanks a field value may end with
        for malformed in [
            "Bearer \t\(token)", "Bearer\t\(token)", "Bearer\(token)", " Bearer \(token)", "Bearer \(token) x",
            "Bearer \(token), Bearer \(token)", "Bearer \(token)\t\(token)", "Bearer Bearer \(token)",
            "Bearer \(token.prefix(4))\(token.dropFirst(4).uppercased())", "Bearer \(token)0", "Bearerx \(token)",
        ] {
            #expect(BearerToken.parse(malformed) == nil, "\(malformed)")
        }
    }

    @Test func configureImpliesRead() {
        #expect(OrgPermission.configure >= .read)
        #expect(!(OrgPermission.read >= .configure))
    }
}
