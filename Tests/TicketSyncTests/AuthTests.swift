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

    @Test func configureImpliesRead() {
        #expect(OrgPermission.configure >= .read)
        #expect(!(OrgPermission.read >= .configure))
    }
}
