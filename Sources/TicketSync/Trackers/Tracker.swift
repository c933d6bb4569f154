import Foundation
import TicketSyncPlatform

/// One kind of tracker, described in its own folder (`Trackers/<Name>/`): what its connections take, how the
/// deployment default reads it from the environment, how its provider is built, and how its inbound events are
/// verified and applied. `Trackers.all` lists them; nothing outside a tracker's folder and the registry asks which
/// kind it is.
protocol Tracker: Sendable {
    /// As stored (`connections.kind`, `ticket_links.provider`) and named in TICKET_PROVIDER: `jira`.
    static var kindName: String { get }
    /// How the thread's system entries name it: "Jira"; "the tracker" for adapters.
    static var displayName: String { get }
    /// Its connections' settings (with defaults), secrets and required fields, written once.
    static var connectionSpec: ConnectionSpec { get }
    /// The deployment default: which environment key holds each setting or secret (`base_url` ← JIRA_BASE_URL), and
    /// which keys must be set, in the order the documentation lists them.
    static var environment: TrackerEnvironment { get }
    /// Checks one of its own settings (422 naming `field`) and returns the value to store; nil when the setting has
    /// no check of its own (the shared checks of `ConnectionSpec` still apply).
    static func validate(setting name: String, _ text: String, field: String) throws -> String?
    /// The fields Ticket Sync sets itself on a new ticket: `settings.fields` cannot map them (422).
    static var ownedFields: [String] { get }
    /// Where a request's due date goes when the mapping does not say (`duedate`); nil when it has none.
    static var dueDateField: String? { get }
    /// What its webhook must send for replies and status changes to come back (the readiness view shows it).
    static var inboundEvents: [String] { get }
    /// The deployment-level inbound route its webhooks use (the generic one unless it declares its own); nil when
    /// they come back only on a connection's inbound URL.
    static var inboundSource: InboundSource? { get }
    /// Its own deployment-level webhook route, when it signs its webhooks its own way; nil for the generic scheme.
    static var deploymentWebhook: Router.Handler? { get }
    /// Builds its provider for a configuration; 503 provider-not-configured when something it needs is missing.
    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider
    /// Verifies an event on a connection's inbound URL, on the raw body, before anything is decoded.
    static func verifyInbound(_ request: HTTPRequest, connection: Connection, secrets: [String])
        -> Result<InboundSignaturePolicy.Verified, InboundRejection>
    /// Applies a verified event from a connection's inbound URL to that connection's links.
    static func applyInbound(
        _ context: RequestContext, connection: Connection, verified: InboundSignaturePolicy.Verified
    ) throws -> HTTPResponse
    /// Before a connection is disabled or deleted: undoes what it set up on the tracker's side for itself (Jira
    /// Cloud's own webhooks). Best effort: it never stops the change.
    static func closing(_ context: RequestContext, connection: Connection)
}

/// What the generic inbound scheme does; a tracker with a webhook of its own (Jira) replaces these.
extension Tracker {
    static var inboundSource: InboundSource? { .generic }

    static var deploymentWebhook: Router.Handler? { nil }

    static var ownedFields: [String] { [] }

    static var dueDateField: String? { nil }

    static func validate(setting name: String, _ text: String, field: String) throws -> String? { nil }

    static func verifyInbound(_ request: HTTPRequest, connection: Connection, secrets: [String])
        -> Result<InboundSignaturePolicy.Verified, InboundRejection>
    {
        connection.inboundSignature.verify(request, secrets: secrets)
    }

    static func closing(_ context: RequestContext, connection: Connection) {}

    static func applyInbound(
        _ context: RequestContext, connection: Connection, verified: InboundSignaturePolicy.Verified
    ) throws -> HTTPResponse {
        try InboundRoutes.apply(
            context, scope: .connection(connection.id), statusMap: connection.statusMap,
            verified: verified)
    }
}

/// How the deployment default reads a tracker from the environment.
struct TrackerEnvironment: Sendable {
    /// Setting or secret name → environment key; `webhook_secret` names the secrets (comma-separated, newest first)
    /// that verify its inbound events.
    var keys: [String: String]
    /// Environment keys that must be set before the deployment default can be used, in documentation order.
    var required: [String]
    /// Settings whose environment values go through the tracker's own check (an unusable one is logged and left to
    /// its default); every other value is taken as set.
    var checked: Set<String>

    init(keys: [String: String], required: [String], checked: Set<String> = []) {
        self.keys = keys
        self.required = required
        self.checked = checked
    }
}

/// What every provider is built with besides its configuration.
struct ProviderContext {
    /// The outbound client, guarded for org connections and timed for the metrics.
    let http: any OutboundHTTP
    let settings: Settings
    let registry: ProviderRegistry

    /// Where a tracker's user can follow a link back to the evidence request.
    var linkBack: @Sendable (EvidenceRequest) -> String? {
        { [settings] in settings.evidenceRequestURL($0) }
    }
}
