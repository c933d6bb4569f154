import Foundation
import TicketSyncPlatform

/// The bearer JWT on Jira Cloud's dynamic-webhook deliveries: HS256, keyed by the app's client secret. Checked on the
/// token alone (its signature first, then `exp` and `iat` within a small skew) before any of the body is read.
enum JiraCloudJWT {
    /// Clock difference tolerated either way.
    static let skewSeconds: Int64 = 60

    /// nil when the header carries a valid token; otherwise why not (logged, never answered: every failure is the
    /// same 401).
    static func rejection(authorization: String?, secret: String, now: Int64 = StandardWebhookSignature.now())
        -> String?
    {
        guard let authorization, authorization.count <= 8192 else { return "no bearer token" }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts.first?.lowercased() == "bearer", let token = parts.last else {
            return "no bearer token"
        }
        let segments = token.trimmingCharacters(in: .whitespaces).split(
            separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let headerText = segments.first, let signatureText = segments.last,
            let signature = Base64URL.decode(String(signatureText))
        else { return "not a JWT" }
        let payloadText = segments[segments.index(after: segments.startIndex)]
        let expected = Crypto.hmacSHA256(
            key: Array(secret.utf8), message: Array("\(headerText).\(payloadText)".utf8))
        guard Crypto.constantTimeEquals(expected, signature) else { return "signature does not verify" }
        // Signed by us-the-app's secret: only now are its parts read.
        guard let headerBytes = Base64URL.decode(String(headerText)),
            case .object(let header)? = try? JSONParser.parse(headerBytes), header["alg"] == .string("HS256")
        else { return "not an HS256 token" }
        guard let payloadBytes = Base64URL.decode(String(payloadText)),
            case .object(let claims)? = try? JSONParser.parse(payloadBytes)
        else { return "claims are not a JSON object" }
        guard let exp = seconds(claims["exp"]), let iat = seconds(claims["iat"]) else { return "no exp or iat" }
        if exp + skewSeconds < now { return "expired" }
        if iat - skewSeconds > now { return "issued in the future" }
        return nil
    }

    private static func seconds(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let number)?: Int64(exactly: number)
        case .number(let number)?: number.isFinite ? Int64(exactly: number.rounded(.down)) : nil
        default: nil
        }
    }
}
