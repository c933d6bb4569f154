import Foundation

/// Everything the service reads from its environment, read once at start-up.
public struct Settings: Sendable {
    public var databaseURL: String
    public var maxBodyBytes: Int
    /// The provider named by TICKET_PROVIDER (an unknown value has already fallen back to mock).
    public var provider: ProviderKind
    /// The raw TICKET_PROVIDER value when it was not recognised, for the start-up warning.
    public var unknownProviderValue: String?
    public var providerKeys: [String: String]
    /// TICKET_WEBHOOK_SECRET split on commas: inbound accepts any, outbound signs with the first.
    public var webhookSecrets: [String]
    public var publicBaseURL: String?

    public static let defaultMaxBody = 1 << 20

    public init(environment: [String: String]) {
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        databaseURL = value("DATABASE_URL") ?? ""
        maxBodyBytes = value("TICKETSYNC_MAX_BODY").flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultMaxBody
        let requested = value("TICKET_PROVIDER")?.lowercased() ?? ProviderKind.mock.rawValue
        provider = ProviderKind(rawValue: requested) ?? .mock
        unknownProviderValue = ProviderKind(rawValue: requested) == nil ? requested : nil
        providerKeys = [:]
        for key in ProviderKind.allCases.flatMap(\.requiredKeys) {
            providerKeys[key] = value(key)
        }
        webhookSecrets = (value("TICKET_WEBHOOK_SECRET") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        publicBaseURL = value("PUBLIC_BASE_URL")
    }

    /// The keys a provider still needs, in the order the documentation lists them.
    public func missingKeys(for kind: ProviderKind) -> [String] {
        kind.requiredKeys.filter { providerKeys[$0] == nil }
    }

    /// Inbound sync is open only when a shared secret is configured.
    public var inboundOpen: Bool { !webhookSecrets.isEmpty }
}
