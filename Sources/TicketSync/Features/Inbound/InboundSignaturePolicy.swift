import TicketSyncPlatform

/// Which signature schemes a generic inbound URL accepts: `any` (X-Signature or Standard Webhooks, the default) or
/// `standard` (Standard Webhooks only: the old body-only X-Signature, which a captured request replays forever, is
/// refused). A connection's `settings.inbound_signature`, or TICKET_WEBHOOK_INBOUND_SIGNATURE for the deployment.
public enum InboundSignaturePolicy: String, Sendable, CaseIterable {
    case any, standard

    public static let setting = "inbound_signature"

    /// How a generic inbound request proved itself.
    enum Verified: Equatable {
        /// `X-Signature` over the body: no id, no time.
        case bodyOnly
        /// Standard Webhooks: the `webhook-id`, to be seen once.
        case standard(id: String)
    }

    /// Verifies the raw body before anything is decoded: Standard Webhooks when the request carries its headers (a
    /// bad one is not retried with X-Signature), else X-Signature unless this policy refuses it. Returns why not, for
    /// the log and the audit (every failure answers the same 401).
    func verify(_ request: HTTPRequest, secrets: [String]) -> Result<Verified, InboundRejection> {
        if StandardWebhookSignature.present(request.header) {
            switch StandardWebhookSignature.verify(header: request.header, body: request.body, secrets: secrets) {
            case .success(let id): return .success(.standard(id: id))
            case .failure(let rejection): return .failure(InboundRejection("webhook-signature \(rejection.rawValue)"))
            }
        }
        guard self == .any else { return .failure(InboundRejection("webhook-signature missing (standard required)")) }
        if let rejection = WebhookSignature.verify(
            header: request.header(InboundSource.generic.signatureHeader), body: request.body, secrets: secrets)
        {
            return .failure(InboundRejection("signature \(rejection.rawValue)"))
        }
        return .success(.bodyOnly)
    }
}

/// Why an inbound request was refused: the class of failure, never the body or a secret.
struct InboundRejection: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
