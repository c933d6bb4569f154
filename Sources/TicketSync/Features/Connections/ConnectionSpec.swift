import Foundation
import TicketSyncPlatform

/// What each kind of connection takes: its settings (with defaults), its secrets, and what it needs before it is
/// usable. Each tracker writes its own (`Tracker.connectionSpec`), named after the seed's environment keys
/// (`base_url` ↔ JIRA_BASE_URL, `api_token` ↔ JIRA_API_TOKEN, …); the checks shared by every kind live here.
public struct ConnectionSpec: Sendable {
    public let kind: ProviderKind
    /// Every setting the kind accepts, in display order.
    public let settings: [String]
    public let defaults: [String: String]
    public let secrets: [String]
    /// Fields (`settings.x`, `secrets.y`) that must be set before the connection can be used.
    public let required: [String]

    /// `settings`, `defaults`, `secrets` and `required` as the tracker writes them; every kind also takes the
    /// settings all connections share (`inbound_mode`).
    public init(
        kind: ProviderKind, settings: [String], defaults: [String: String], secrets: [String], required: [String]
    ) {
        self.kind = kind
        self.settings = settings + Self.shared.filter { !settings.contains($0) }
        self.defaults = [Self.inboundMode: InboundMode.webhook.rawValue, Self.assignee: AssigneeRule.none.text]
            .merging(defaults) { _, own in own }
        self.secrets = secrets
        self.required = required
    }

    /// `inbound_mode`: `webhook` (the tracker calls the connection's inbound URL; sweeps repair what is lost) or
    /// `poll` (a tracker that cannot reach the service: no inbound URL or webhook secret is needed, and it is swept
    /// every TICKET_SYNC_POLL_INTERVAL).
    public static let inboundMode = "inbound_mode"
    /// `fields`: the field mapping (`FieldMapping`), a JSON object stored as its text.
    public static let fields = "fields"
    /// `assignee`: none, creator or account:<id> (`AssigneeRule`).
    public static let assignee = "assignee"
    static let shared = [inboundMode, fields, assignee]

    public enum InboundMode: String, Sendable {
        case webhook, poll
    }

    /// The spec its tracker writes (in the tracker's folder).
    public static func of(_ kind: ProviderKind) -> ConnectionSpec { kind.tracker.connectionSpec }

    /// The fields still missing, given the settings and the names of the secrets that are set.
    public func missing(settings values: [String: String], secrets set: Set<String>) -> [String] {
        required.filter { field in
            if field.hasPrefix("settings.") { return values[String(field.dropFirst(9))] == nil }
            return !set.contains(String(field.dropFirst(8)))
        }
    }

    public static let maxSettingLength = 2048
    public static let maxSecretLength = 4096

    /// One setting's value checked (422 naming `settings.<name>`), URLs through the outbound guard.
    /// `dueDate` says whether the host's evidence_requests has a due_date column (asked only for `fields`).
    func validated(
        setting name: String, _ value: JSONValue, urls check: SavedURLCheck, dueDate: () throws -> Bool = { false }
    ) throws -> String {
        let field = "settings.\(name)"
        if name == Self.fields {
            return try FieldMapping.parse(value, owned: kind.tracker.ownedFields, dueDate: try dueDate(), field: field)
                .text
        }
        guard case .string(let raw) = value else { throw APIError.invalidField(field, "`\(field)` must be a string.") }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.utf8.count <= Self.maxSettingLength,
            !text.unicodeScalars.contains(where: { $0.value < 0x20 })
        else {
            throw APIError.invalidField(
                field, "`\(field)` must be a non-empty single-line string of at most \(Self.maxSettingLength) bytes.")
        }
        switch name {
        case "url", "base_url":
            return try Self.trackerURL(text, field: field, keepTrailingSlash: name == "url", urls: check)
        case InboundSignaturePolicy.setting:
            guard let policy = InboundSignaturePolicy(rawValue: text) else {
                throw APIError.invalidField(
                    field,
                    "`\(field)` must be any (X-Signature or Standard Webhooks) or standard (Standard Webhooks only).")
            }
            return policy.rawValue
        case Self.inboundMode:
            guard let mode = InboundMode(rawValue: text) else {
                throw APIError.invalidField(field, "`\(field)` must be webhook or poll.")
            }
            return mode.rawValue
        case Self.assignee:
            return try AssigneeRule.parse(text, field: field).text
        case "status_map":
            do { return try StatusMap.parse(text).text } catch {
                throw APIError.invalidField(field, "`\(field)`: \(error.description).")
            }
        default:
            if let checked = try kind.tracker.validate(setting: name, text, field: field) { return checked }
            guard text.count <= 100 else {
                throw APIError.invalidField(field, "`\(field)` must be at most 100 characters.")
            }
        }
        return text
    }

    /// An http(s) URL. A literal address is checked by the guard here. An https host name is not resolved when saved
    /// (it is on every call, where the guard resolves, checks and pins it); a plain http one is, within the connect
    /// timeout, holding one of the org's tracker slots (`SavedURLCheck`), since http is accepted only for a host
    /// inside TICKET_ALLOWED_TRACKER_NETWORKS: one that is not (or does not resolve) is refused now rather than at its
    /// first use. Base URLs lose trailing slashes; the webhook URL is kept as given.
    static func trackerURL(_ text: String, field: String, keepTrailingSlash: Bool, urls check: SavedURLCheck) throws
        -> String
    {
        guard let url = Settings.httpURL(text), url.user == nil, url.password == nil, url.fragment == nil,
            let host = url.host
        else {
            throw APIError.invalidField(
                field, "`\(field)` must be an https URL with a host (no credentials, no fragment).")
        }
        if IPAddress(literal: host) != nil || url.scheme?.lowercased() == "http" {
            do { _ = try check.approve(url) } catch let refusal as OutboundGuard.Refusal where refusal.kind == .busy {
                throw APIError.urlCheckBusy
            } catch let refusal as OutboundGuard.Refusal {
                let reason =
                    refusal.kind == .refused
                    ? refusal.reason
                    : "plain http is accepted only for a host inside TICKET_ALLOWED_TRACKER_NETWORKS, and "
                        + "\(refusal.reason); use https"
                throw APIError.invalidField(field, "`\(field)` is not allowed: \(reason).")
            }
        }
        return keepTrailingSlash ? url.absoluteString : (Settings.serviceURL(text)?.absoluteString ?? text)
    }

    /// A secret's value: a non-empty string without line breaks.
    static func validated(secret name: String, _ value: JSONValue) throws -> String {
        let field = "secrets.\(name)"
        guard case .string(let text) = value, !text.trimmingCharacters(in: .whitespaces).isEmpty,
            text.utf8.count <= maxSecretLength, !text.unicodeScalars.contains(where: { $0.value < 0x20 })
        else {
            throw APIError.invalidField(
                field, "`\(field)` must be a non-empty single-line string of at most \(maxSecretLength) bytes.")
        }
        return text
    }
}
