/// A tracker's kind, as stored and as TICKET_PROVIDER names it. Each tracker declares its constant in its own folder
/// (`ProviderKind.jira`); only the kinds `Trackers.all` lists can be made from text.
public struct ProviderKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    /// The tracker this kind is.
    let tracker: any Tracker.Type

    /// A kind of a listed tracker; nil for any other text (a stored value that does not parse is the caller's error).
    public init?(rawValue: String) {
        guard let tracker = Trackers.all.first(where: { $0.kindName == rawValue }) else { return nil }
        self.init(tracker)
    }

    init(_ tracker: any Tracker.Type) {
        self.rawValue = tracker.kindName
        self.tracker = tracker
    }

    public static var allCases: [ProviderKind] { Trackers.all.map(ProviderKind.init) }

    public static func == (a: ProviderKind, b: ProviderKind) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public var description: String { rawValue }

    /// The environment keys the deployment default needs.
    public var requiredKeys: [String] { tracker.environment.required }
    /// Where replies from this tracker come in on the deployment-level routes.
    public var inboundSource: InboundSource? { tracker.inboundSource }
    /// The tracker's own deployment-level webhook route, when it signs its webhooks its own way.
    public var deploymentWebhook: Router.Handler? { tracker.deploymentWebhook }
    /// What the tracker's webhook must send for replies and status changes to come back.
    public var inboundEvents: [String] { tracker.inboundEvents }
}
