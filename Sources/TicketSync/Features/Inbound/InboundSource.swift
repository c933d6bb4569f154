/// Where an inbound webhook comes from, and the secret that both opens it and verifies its signature.
public enum InboundSource: String, Sendable, CaseIterable {
    /// `POST /api/v1/ticket-sync/webhook`, `X-Signature`.
    case generic
    /// `POST /api/v1/ticket-sync/webhook/jira`, Jira's own `X-Hub-Signature`.
    case jira

    public var secretKey: String {
        switch self {
        case .generic: "TICKET_WEBHOOK_SECRET"
        case .jira: "JIRA_WEBHOOK_SECRET"
        }
    }

    public var signatureHeader: String {
        switch self {
        case .generic: "x-signature"
        case .jira: "x-hub-signature"
        }
    }

    public func secrets(_ settings: Settings) -> [String] {
        switch self {
        case .generic: settings.webhookSecrets
        case .jira: settings.jira.webhookSecrets
        }
    }

    /// 401 unless the raw body carries a valid signature; only the class of failure is logged.
    func verify(_ request: HTTPRequest, settings: Settings) throws {
        if let rejection = WebhookSignature.verify(
            header: request.header(signatureHeader), body: request.body,
            secrets: secrets(settings))
        {
            ServerLog.warning("\(rawValue) inbound webhook rejected: signature \(rejection.rawValue)")
            throw APIError.badSignature
        }
    }
}
