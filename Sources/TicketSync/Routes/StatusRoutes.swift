/// Readiness of Ticket Sync for the setup checklist.
enum StatusRoutes {
    static func status(_ context: RequestContext) throws -> HTTPResponse {
        let settings = context.settings
        let missing = settings.missingKeys(for: settings.provider)
        return .json(200, .object([
            "provider": .string(settings.provider.rawValue),
            "configured": .bool(missing.isEmpty),
            "missing_keys": .array(missing.map(JSONValue.string)),
            "inbound": .string(settings.inboundOpen ? "open" : "closed"),
        ]))
    }
}
