import TicketSyncPlatform

/// A deployment-level inbound route: where it is, the secret that both opens it and verifies its signature, and the
/// header that carries the signature. The generic route is the service's own; a tracker whose webhook signs its own
/// way declares its route in its folder (`Tracker.deploymentWebhook`).
public struct InboundSource: Sendable, Hashable, CustomStringConvertible {
    /// The route's name in metrics and log lines: `generic`, `jira`.
    public let name: String
    public let path: String
    /// The environment key of its secrets (comma-separated for rotation).
    public let secretKey: String
    public let signatureHeader: String
    private let secretsOf: @Sendable (Settings) -> [String]

    public init(
        name: String, path: String, secretKey: String, signatureHeader: String,
        secrets: @escaping @Sendable (Settings) -> [String]
    ) {
        self.name = name
        self.path = path
        self.secretKey = secretKey
        self.signatureHeader = signatureHeader
        self.secretsOf = secrets
    }

    /// `POST /api/v1/ticket-sync/webhook`, `X-Signature` (or Standard Webhooks) with TICKET_WEBHOOK_SECRET.
    public static let generic = InboundSource(
        name: "generic", path: "/api/v1/ticket-sync/webhook", secretKey: "TICKET_WEBHOOK_SECRET",
        signatureHeader: "x-signature", secrets: { $0.webhookSecrets })

    public func secrets(_ settings: Settings) -> [String] { secretsOf(settings) }

    public static func == (a: InboundSource, b: InboundSource) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    public var description: String { name }

    /// 401 unless the raw body carries a valid signature; only the class of failure is logged.
    func verify(_ request: HTTPRequest, settings: Settings) throws {
        if let rejection = WebhookSignature.verify(
            header: request.header(signatureHeader), body: request.body,
            secrets: secrets(settings))
        {
            ServerLog.warning("\(name) inbound webhook rejected: signature \(rejection.rawValue)")
            throw APIError.badSignature
        }
    }
}
