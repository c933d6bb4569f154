import Foundation
import TicketSyncPlatform

/// A connection's fields as sent to POST (all) or PATCH (any subset), checked whole before anything is written.
/// Settings and secrets sent as `null` are removed; those not sent are kept.
struct ConnectionInput {
    var kind: ProviderKind?
    var name: String?
    var isDefault: Bool?
    var disabled: Bool?
    /// name → new value, or nil to remove.
    var settings: [String: String?] = [:]
    var secrets: [String: String?] = [:]

    static let members: Set<String> = ["kind", "name", "default", "disabled", "settings", "secrets"]

    /// `existingKind` is nil on create (where `kind` and `name` are required) and the stored kind on PATCH.
    /// `dueDate` says whether the host's table has a due_date column; asked only when `settings.fields` is sent.
    static func decode(
        _ body: [String: JSONValue], existingKind: ProviderKind?, urls check: SavedURLCheck,
        dueDate: () throws -> Bool = { false }
    ) throws -> ConnectionInput {
        if let unknown = body.keys.sorted().first(where: { !members.contains($0) }) {
            throw APIError.invalidField(unknown, "`\(unknown)` is not a connection field.")
        }
        var input = ConnectionInput()
        switch body["kind"] {
        case nil where existingKind != nil: break
        case .string(let text)?:
            guard let kind = ProviderKind(rawValue: text) else {
                throw APIError.invalidField(
                    "kind", "`kind` must be one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            if let existingKind, kind != existingKind {
                throw APIError.invalidField("kind", "`kind` cannot change; create a new connection instead.")
            }
            input.kind = kind
        default:
            throw APIError.invalidField(
                "kind", "`kind` is required: one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        switch body["name"] {
        case nil where existingKind != nil: break
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= 200,
                !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 })
            else {
                throw APIError.invalidField("name", "`name` must be a non-empty single line of at most 200 characters.")
            }
            input.name = trimmed
        default:
            throw APIError.invalidField("name", "`name` is required: a non-empty string.")
        }
        input.isDefault = try flag(body["default"], field: "default")
        input.disabled = try flag(body["disabled"], field: "disabled")
        let spec = ConnectionSpec.of(existingKind ?? input.kind ?? .mock)
        for (name, value) in try object(body["settings"], field: "settings") {
            guard spec.settings.contains(name) else {
                throw APIError.invalidField(
                    "settings.\(name)",
                    "`settings.\(name)` is not a \(spec.kind.rawValue) setting; accepted: \(spec.settings.joined(separator: ", "))."
                )
            }
            input.settings[name] =
                value == .null ? .some(nil) : try spec.validated(setting: name, value, urls: check, dueDate: dueDate)
        }
        for (name, value) in try object(body["secrets"], field: "secrets") {
            guard spec.secrets.contains(name) else {
                throw APIError.invalidField(
                    "secrets.\(name)",
                    "`secrets.\(name)` is not a \(spec.kind.rawValue) secret; accepted: \(spec.secrets.joined(separator: ", "))."
                )
            }
            input.secrets[name] = value == .null ? .some(nil) : try ConnectionSpec.validated(secret: name, value)
        }
        return input
    }

    private static func flag(_ value: JSONValue?, field: String) throws -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw APIError.invalidField(field, "`\(field)` must be true or false.")
        }
    }

    private static func object(_ value: JSONValue?, field: String) throws -> [(String, JSONValue)] {
        switch value {
        case nil, .null?: return []
        case .object(let members)?: return members.keys.sorted().compactMap { key in members[key].map { (key, $0) } }
        default: throw APIError.invalidField(field, "`\(field)` must be an object.")
        }
    }
}
