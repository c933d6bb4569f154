import Foundation
import TicketSyncPlatform

/// Any tracker, through an adapter: HMAC-signed JSON events out, signed events back on the generic scheme.
enum WebhookTracker: Tracker {
    static let kindName = "webhook"
    static let displayName = "the tracker"

    static let connectionSpec = ConnectionSpec(
        kind: .webhook, settings: ["url", "status_map", InboundSignaturePolicy.setting],
        defaults: [
            "status_map": StatusMap.standard.text,
            InboundSignaturePolicy.setting: InboundSignaturePolicy.any.rawValue,
        ],
        secrets: ["webhook_secret"],
        required: ["settings.url", "secrets.webhook_secret"])

    static let environment = TrackerEnvironment(
        keys: ["url": "TICKET_WEBHOOK_URL", "webhook_secret": "TICKET_WEBHOOK_SECRET"],
        required: ["TICKET_WEBHOOK_URL", "TICKET_WEBHOOK_SECRET"])

    static let inboundEvents = ["comment", "tracker_status"]

    /// The adapter gets the mapping's fields as `fields` in `ticket.create` (and the due date as `due_date`).
    static let dueDateField: String? = "due_date"

    /// The first inbound secret signs outbound events (the others verify inbound ones during a rotation).
    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider {
        guard let url = Settings.httpURL(config.settings["url"]), let secret = config.inboundSecrets.first else {
            throw APIError.providerNotConfigured(config)
        }
        // The deployment default's policy is TICKET_WEBHOOK_INBOUND_SIGNATURE; a connection's is its setting.
        let policy =
            config.connectionID == nil
            ? context.settings.inboundSignature
            : config.settings[InboundSignaturePolicy.setting].flatMap(InboundSignaturePolicy.init(rawValue:)) ?? .any
        return WebhookProvider(
            url: url, signingSecret: secret, http: context.http, timeouts: context.settings.httpTimeouts,
            linkBack: context.linkBack, inboundSecrets: config.inboundSecrets, signaturePolicy: policy)
    }
}

extension ProviderKind {
    public static let webhook = ProviderKind(WebhookTracker.self)
}

extension Settings {
    /// TICKET_WEBHOOK_URL when it is an http(s) URL.
    public var webhookURL: URL? { Settings.httpURL(trackerEnvironment[WebhookTracker.kindName]?["url"]) }
}
