import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

struct JiraCloudTests {
    @Test func plainTextBecomesADFParagraphsAndReadsBack() throws {
        let doc = JiraADF.document("First line\nsecond line\n\nNext paragraph\n\n\n")
        #expect(doc["type"] == .string("doc") && doc["version"] == .int(1))
        guard case .array(let paragraphs)? = doc["content"] else { throw Failure("no content") }
        #expect(paragraphs.count == 2)
        guard case .array(let inline)? = paragraphs.first?["content"] else { throw Failure("no inline") }
        #expect(inline.map { $0["type"]?.stringValue ?? "" } == ["text", "hardBreak", "text"])
        #expect(JiraADF.plainText(doc)?.contains("Next paragraph") == true)
        // ADF refuses empty text nodes: an empty text is an empty document.
        #expect(JiraADF.document("")["content"] == .array([]))
    }

    struct Failure: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    static func token(secret: String, header: String = #"{"alg":"HS256","typ":"JWT"}"#, claims: String) -> String {
        let head = Base64URL.encode(Array(header.utf8))
        let body = Base64URL.encode(Array(claims.utf8))
        let signature = Crypto.hmacSHA256(key: Array(secret.utf8), message: Array("\(head).\(body)".utf8))
        return "\(head).\(body).\(Base64URL.encode(signature))"
    }

    @Test func deliveryJWTIsCheckedBySignatureThenTime() {
        let now: Int64 = 1_800_000_000
        let good = Self.token(secret: "s3cret", claims: #"{"iat":1800000000,"exp":1800000060}"#)
        #expect(JiraCloudJWT.rejection(authorization: "Bearer \(good)", secret: "s3cret", now: now) == nil)
        #expect(JiraCloudJWT.rejection(authorization: "Bearer \(good)", secret: "other", now: now) != nil)
        #expect(JiraCloudJWT.rejection(authorization: "Bearer \(good)", secret: "s3cret", now: now + 600) == "expired")
        #expect(
            JiraCloudJWT.rejection(authorization: "Bearer \(good)", secret: "s3cret", now: now - 600)
                == "issued in the future")
        let none = Self.token(
            secret: "s3cret", header: #"{"alg":"none"}"#, claims: #"{"iat":1800000000,"exp":1800000060}"#)
        #expect(JiraCloudJWT.rejection(authorization: "Bearer \(none)", secret: "s3cret", now: now) != nil)
        #expect(JiraCloudJWT.rejection(authorization: nil, secret: "s3cret", now: now) != nil)
        #expect(JiraCloudJWT.rejection(authorization: "Basic abc", secret: "s3cret", now: now) != nil)
    }

    @Test func authorizeURLHasTheDocumentedQuery() {
        var settings = JiraOAuthSettings(clientID: "cid", clientSecret: "sec", redirectURL: "https://x.example/cb")
        settings.authURL = URL(string: "https://auth.example") ?? settings.authURL
        let client = JiraOAuthClient(settings: settings, http: CurlHTTP(), timeouts: HTTPTimeouts(connect: 1, total: 1))
        #expect(
            client.authorizeURL(state: "abc")
                == "https://auth.example/authorize?audience=api.atlassian.com&client_id=cid&scope=read%3Ajira-work%20"
                + "write%3Ajira-work%20read%3Ajira-user%20manage%3Ajira-webhook%20offline_access&redirect_uri=https%3A"
                + "%2F%2Fx.example%2Fcb&state=abc&response_type=code&prompt=consent")
    }

    @Test func oauthSettingsReadTheSecretFileAndDefaultAtlassiansURLs() throws {
        let path = NSTemporaryDirectory() + "jira-oauth-secret-\(UUID().uuidString)"
        try "from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = Settings(environment: [
            "TICKET_JIRA_OAUTH_CLIENT_ID": "cid", "TICKET_JIRA_OAUTH_CLIENT_SECRET": "from-env",
            "TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE": path,
            "TICKET_JIRA_OAUTH_REDIRECT_URL": "https://grc.example.com/api/v1/ticket-sync/oauth/jira/callback",
        ])
        #expect(settings.jiraOAuth.clientSecret == "from-file" && settings.jiraOAuth.missing.isEmpty)
        #expect(settings.jiraOAuth.authURL.absoluteString == "https://auth.atlassian.com")
        #expect(settings.jiraOAuth.apiURL.absoluteString == "https://api.atlassian.com")
        #expect(settings.errors.isEmpty)
        let none = Settings(environment: [:])
        #expect(
            none.jiraOAuth.missing == [
                "TICKET_JIRA_OAUTH_CLIENT_ID", "TICKET_JIRA_OAUTH_CLIENT_SECRET", "TICKET_JIRA_OAUTH_REDIRECT_URL",
            ])
        let bad = Settings(environment: [
            "TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE": path + ".missing", "TICKET_ATLASSIAN_API_URL": "ftp://x",
        ])
        #expect(bad.errors.contains { $0.hasPrefix("TICKET_JIRA_OAUTH_CLIENT_SECRET_FILE") })
        #expect(bad.errors.contains { $0.hasPrefix("TICKET_ATLASSIAN_API_URL") })
    }
}
