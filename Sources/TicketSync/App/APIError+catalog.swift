import TicketSyncPlatform

/// The errors the routes raise, named once so every route words them alike.
extension APIError {
    public static func notFound(_ detail: String = "No such resource.") -> APIError {
        APIError(404, "not-found", detail)
    }

    public static let unauthorized = APIError(
        401, "unauthorized", "A valid bearer token is required (Authorization: Bearer <token>).",
        headers: [("WWW-Authenticate", "Bearer realm=\"ticketsync\"")])

    public static func forbidden(_ detail: String) -> APIError { APIError(403, "forbidden", detail) }

    public static func methodNotAllowed(_ allowed: [String]) -> APIError {
        APIError(
            405, "method-not-allowed", "Allowed methods: \(allowed.joined(separator: ", ")).",
            headers: [("Allow", allowed.joined(separator: ", "))])
    }

    public static func conflict(_ slug: String, _ detail: String) -> APIError { APIError(409, slug, detail) }

    public static func bodyTooLarge(limit: Int) -> APIError {
        APIError(413, "body-too-large", "The request body is larger than \(limit) bytes.")
    }

    public static let unsupportedMediaType = APIError(
        415, "unsupported-media-type", "The request body must be JSON (Content-Type: application/json).")

    public static func malformedJSON(_ detail: String) -> APIError {
        APIError(400, "malformed-json", "The request body is not valid JSON: \(detail)")
    }

    public static func invalidField(_ field: String, _ detail: String) -> APIError {
        APIError(422, "invalid-field", detail, extensions: ["field": .string(field)])
    }

    public static func databaseUnavailable() -> APIError {
        APIError(
            503, "database-unavailable", "The database is unavailable; try again shortly.",
            headers: [("Retry-After", "2")])
    }

    public static func inboundClosed(_ source: InboundSource) -> APIError {
        APIError(503, "inbound-closed", "Inbound sync is closed; set \(source.secretKey).")
    }

    /// Every signature failure answers exactly this, whatever the reason.
    public static let badSignature = APIError(
        401, "invalid-signature",
        "The signature did not verify: sign the raw body with the shared secret, by Standard Webhooks (webhook-id, "
            + "webhook-timestamp, webhook-signature) or X-Signature: sha256=<hex HMAC-SHA256> (Jira: X-Hub-Signature)."
    )

    public static let internalError = APIError(500, "internal-error", "The server failed to handle the request.")
}
