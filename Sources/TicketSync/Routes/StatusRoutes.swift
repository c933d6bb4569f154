/// Readiness of Ticket Sync for the setup checklist: the active provider at the top, then every provider.
enum StatusRoutes {
    static func status(_ context: RequestContext) throws -> HTTPResponse {
        let settings = context.settings
        let missing = settings.missingKeys(for: settings.provider)
        var providers: [String: JSONValue] = [:]
        for kind in ProviderKind.allCases {
            let keys = settings.missingKeys(for: kind)
            providers[kind.rawValue] = .object([
                "configured": .bool(keys.isEmpty),
                "missing_keys": .array(keys.map(JSONValue.string)),
                "inbound": inbound(kind.inboundSource, settings),
            ])
        }
        return .json(200, .object([
            "provider": .string(settings.provider.rawValue),
            "configured": .bool(missing.isEmpty),
            "missing_keys": .array(missing.map(JSONValue.string)),
            "inbound": inbound(.generic, settings),
            "providers": .object(providers),
        ]))
    }

    static func inbound(_ source: InboundSource, _ settings: Settings) -> JSONValue {
        .string(source.secrets(settings).isEmpty ? "closed" : "open")
    }
}
