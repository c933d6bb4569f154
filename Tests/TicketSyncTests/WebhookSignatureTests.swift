import Testing

@testable import TicketSync

@Suite struct WebhookSignatureTests {
    let secret = "It's a Secret to Everybody"
    let body = Array("Hello, World!".utf8)
    let github = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    @Test func signsLikeGitHub() {
        #expect(WebhookSignature.header(secret: secret, body: body) == github)
    }

    @Test func acceptsThePublishedVector() {
        #expect(WebhookSignature.verify(header: github, body: body, secrets: [secret]) == nil)
        #expect(
            WebhookSignature.verify(
                header: github.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="),
                body: body, secrets: [secret]) == nil)
    }

    @Test func acceptsAnyRotatedSecret() {
        #expect(WebhookSignature.verify(header: github, body: body, secrets: ["new", secret]) == nil)
    }

    @Test func classifiesRejections() {
        #expect(WebhookSignature.verify(header: nil, body: body, secrets: [secret]) == .missing)
        #expect(
            WebhookSignature.verify(header: String(github.dropLast(8)), body: body, secrets: [secret]) == .malformed)
        #expect(
            WebhookSignature.verify(header: "sha1=" + github.dropFirst(7), body: body, secrets: [secret]) == .malformed)
        #expect(
            WebhookSignature.verify(header: String(github.dropLast()) + "g", body: body, secrets: [secret])
                == .malformed)
        #expect(
            WebhookSignature.verify(header: github, body: Array("Hello, World?".utf8), secrets: [secret]) == .mismatch)
        #expect(WebhookSignature.verify(header: github, body: body, secrets: ["other"]) == .mismatch)
    }
}
