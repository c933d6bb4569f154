/// `POST /api/v1/ticket-sync/hooks/{inbound_token}`: one connection's inbound URL. The token selects the
/// connection, whose kind selects the check (`X-Hub-Signature` for Jira, `X-Signature` otherwise) and whose
/// secrets verify the raw body before any JSON is decoded. The event reaches only that connection's links.
enum HookRoutes {
    static func hook(_ context: RequestContext) throws -> HTTPResponse {
        // 256 random bits in hex: anything else is unknown, without asking the database.
        guard let token = context.parameters["inbound_token"], InboundToken.looksValid(token) else {
            throw APIError.badInboundSignature
        }
        let db = try context.database()
        guard let connection = try ConnectionStore(db: db).find(inboundToken: token) else {
            ServerLog.warning("inbound hook rejected: unknown token")
            throw APIError.badInboundSignature
        }
        let config = try context.providers.config(connection)
        let source: InboundSource = connection.kind == .jira ? .jira : .generic
        // An unknown token, a closed URL (no secret yet) and a bad signature all answer the same 401.
        if let rejection = WebhookSignature.verify(
            header: context.request.header(source.signatureHeader),
            body: context.request.body, secrets: config.inboundSecrets)
        {
            ServerLog.warning("inbound hook of connection \(connection.id) rejected: signature \(rejection.rawValue)")
            // The org is known from the token: its audit trail shows the rejected attempt (the reason, not the body).
            var audit = AuditEvent(org: connection.orgID, action: "inbound.rejected", actor: .connection(connection.id))
            audit.connectionID = connection.id
            audit.detail = ["reason": .string("signature \(rejection.rawValue)")]
            try db.query(audit.statement)
            throw APIError.badInboundSignature
        }
        let scope = InboundScope.connection(connection.id)
        switch connection.kind {
        case .jira:
            return try JiraWebhookRoutes.apply(context, scope: scope, statusMap: config.statusMap) {
                try? context.providers.provider(config) as? JiraProvider
            }
        case .mock, .webhook, .servicenow:
            return try InboundRoutes.apply(context, scope: scope, statusMap: config.statusMap)
        }
    }
}

/// The secret last segment of a connection's inbound URL: 64 hex digits (256 random bits). Only its SHA-256 is stored.
public enum InboundToken {
    public static func generate() -> String { Hex.encode(Crypto.randomBytes(32)) }

    public static func looksValid(_ token: String) -> Bool {
        token.utf8.count == 64 && Hex.decode(Substring(token)) != nil
    }
}

extension APIError {
    /// Every failure of a connection's inbound URL answers exactly this: unknown token, closed, or bad signature.
    public static let badInboundSignature = APIError(
        401, "invalid-signature",
        "The inbound URL is unknown, or the signature over the raw body does not verify with its secret.")
}
