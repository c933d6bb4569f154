import TicketSyncPlatform

/// `POST /api/v1/ticket-sync/hooks/{inbound_token}`: one connection's inbound URL. The token selects the
/// connection, whose tracker selects the check (`Tracker.verifyInbound`: X-Signature or Standard Webhooks, as its
/// `inbound_signature` allows, unless the tracker signs its own way) and whose inbound secrets (only those are
/// opened) verify the raw body before any JSON is decoded. The event reaches only that connection's links.
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
        let secrets = try connection.inboundSecrets(keys: context.providers.keys)
        // An unknown token, a closed URL (no secret yet) and a bad signature all answer the same 401.
        let verified: InboundSignaturePolicy.Verified
        switch connection.kind.tracker.verifyInbound(context.request, connection: connection, secrets: secrets) {
        case .success(let how): verified = how
        case .failure(let rejection):
            ServerLog.warning("inbound hook of connection \(connection.id) rejected: \(rejection.reason)")
            // The org is known from the token: its audit trail shows the rejected attempts (the reason, not the body),
            // one row a minute, the others counted.
            try InboundRejectionStore(db: db).record(connection, reason: rejection.reason)
            throw APIError.badInboundSignature
        }
        return try connection.kind.tracker.applyInbound(context, connection: connection, verified: verified)
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
