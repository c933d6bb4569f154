/// The self-contained demo tracker (the default): no settings, nothing to reach.
enum MockTracker: Tracker {
    static let kindName = "mock"
    static let displayName = "the tracker"

    static let connectionSpec = ConnectionSpec(
        kind: .mock, settings: ["status_map"], defaults: ["status_map": StatusMap.standard.text],
        secrets: ["webhook_secret"], required: [])

    static let environment = TrackerEnvironment(
        keys: ["webhook_secret": "TICKET_WEBHOOK_SECRET"], required: [])

    static let inboundEvents: [String] = []

    /// The demo tracker has no fields: a mapping is checked and previewed, and its tickets carry nothing of it.
    static let dueDateField: String? = nil

    static func makeProvider(_ config: TrackerConfig, _ context: ProviderContext) throws -> any TicketProvider {
        MockProvider()
    }
}

extension ProviderKind {
    public static let mock = ProviderKind(MockTracker.self)
}
