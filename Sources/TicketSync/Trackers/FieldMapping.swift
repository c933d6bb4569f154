import Foundation
import TicketSyncPlatform

/// A connection's `settings.fields` (or TICKET_FIELDS): tracker field → any JSON value, whose strings may hold
/// placeholders (`{{request.title}}`) rendered per ticket. Checked whole when saved; stored as its JSON text.
public struct FieldMapping: Sendable, Equatable {
    public var fields: [String: JSONValue]

    public static let empty = FieldMapping(fields: [:])

    public init(fields: [String: JSONValue]) { self.fields = fields }

    /// What a placeholder can name. `request.due_date` only where the host's table has the column.
    public enum Placeholder: String, CaseIterable, Sendable {
        case title = "request.title"
        case description = "request.description"
        case id = "request.id"
        case url = "request.url"
        case orgName = "org.name"
        case userEmail = "user.email"
        case userName = "user.name"
        case dueDate = "request.due_date"
    }

    public static let maxFields = 50
    public static let maxBytes = 8192

    /// The JSON text it is stored as (sorted keys: the same mapping always stores the same text).
    public var text: String { JSONValue.object(fields).text }

    /// Every placeholder its values use.
    public var placeholders: Set<Placeholder> {
        var found: Set<Placeholder> = []
        for value in fields.values {
            Self.visitStrings(value) { found.formUnion(Self.names(in: $0).compactMap(Placeholder.init)) }
        }
        return found
    }

    /// The stored text read back; a stored mapping was checked when written, so one that does not parse is a
    /// StoredValueError.
    public static func stored(_ text: String?, field: String) throws -> FieldMapping {
        guard let text else { return .empty }
        guard case .object(let fields)? = try? JSONParser.parse(Array(text.utf8)) else {
            throw StoredValueError(field, text)
        }
        return FieldMapping(fields: fields)
    }

    /// A mapping as sent (`settings.fields`, TICKET_FIELDS), checked: an object of at most `maxFields` fields whose
    /// names are tracker field names, none of `owned`, and whose placeholders are all known (`request.due_date` only
    /// when `dueDate`). `field` names the input in 422s.
    public static func parse(_ value: JSONValue, owned: [String], dueDate: Bool, field: String) throws -> FieldMapping {
        guard case .object(let fields) = value else {
            throw APIError.invalidField(field, "`\(field)` must be an object from a tracker field to its value.")
        }
        guard fields.count <= maxFields, value.serialized().count <= maxBytes else {
            throw APIError.invalidField(
                field, "`\(field)` may set at most \(maxFields) fields in at most \(maxBytes) bytes of JSON.")
        }
        for name in fields.keys.sorted() {
            let path = "\(field).\(name)"
            guard !name.isEmpty, name.count <= 100, !name.unicodeScalars.contains(where: { $0.value < 0x21 }) else {
                throw APIError.invalidField(path, "`\(path)`: a field name is 1 to 100 characters without spaces.")
            }
            if owned.contains(name) {
                throw APIError.invalidField(
                    path,
                    "`\(path)` is set by Ticket Sync itself and cannot be mapped (owned: \(owned.joined(separator: ", ")))."
                )
            }
            var unknown: String?
            visitStrings(fields[name] ?? .null) { text in
                for placeholder in names(in: text) where unknown == nil {
                    guard let known = Placeholder(rawValue: placeholder) else {
                        unknown = placeholder
                        continue
                    }
                    if known == .dueDate && !dueDate { unknown = placeholder }
                }
            }
            if let unknown {
                let offered = Placeholder.allCases.filter { dueDate || $0 != .dueDate }.map { "{{\($0.rawValue)}}" }
                let why =
                    unknown == Placeholder.dueDate.rawValue
                    ? "the evidence_requests table has no due_date column"
                    : "it is not a placeholder"
                throw APIError.invalidField(
                    path, "`\(path)` uses {{\(unknown)}}, but \(why); known: \(offered.joined(separator: ", ")).")
            }
        }
        return FieldMapping(fields: fields)
    }

    /// The placeholder names inside `{{ }}` in a string, spaces trimmed.
    static func names(in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            found.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func visitStrings(_ value: JSONValue, _ visit: (String) -> Void) {
        switch value {
        case .string(let text): visit(text)
        case .array(let items): for item in items { visitStrings(item, visit) }
        case .object(let members):
            for key in members.keys.sorted() { if let item = members[key] { visitStrings(item, visit) } }
        default: break
        }
    }
}

/// What placeholders render to for one ticket.
public struct FieldValues: Sendable, Equatable {
    public var request: EvidenceRequest
    public var url: String?
    public var orgName: String
    public var userEmail: String
    public var userName: String

    public init(request: EvidenceRequest, url: String?, orgName: String, userEmail: String, userName: String) {
        self.request = request
        self.url = url
        self.orgName = orgName
        self.userEmail = userEmail
        self.userName = userName
    }

    func value(_ placeholder: FieldMapping.Placeholder) -> String? {
        switch placeholder {
        case .title: request.title
        case .description: request.description
        case .id: request.id.rawValue
        case .url: url
        case .orgName: orgName
        case .userEmail: userEmail
        case .userName: userName
        case .dueDate: request.dueDate
        }
    }
}

extension FieldMapping {
    /// The fields to send for one ticket: each value with its placeholders filled in. A string that is a single
    /// placeholder whose value is missing (no due date, no link back) leaves its field out rather than sending "".
    /// The tracker's due-date field (`dueDateField`) gets the request's due date when the mapping does not set it.
    public func rendered(_ values: FieldValues, dueDateField: String?) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (name, value) in fields {
            if let rendered = Self.render(value, values) { out[name] = rendered }
        }
        if let dueDateField, fields[dueDateField] == nil, let due = values.request.dueDate {
            out[dueDateField] = .string(due)
        }
        return out
    }

    /// The fields a due-date change updates: those the mapping fills with exactly `{{request.due_date}}`, or the
    /// tracker's due-date field when the mapping does not set it (a mapping that sets it to anything else keeps it).
    public func dueDateTargets(dueDateField: String?) -> [String] {
        var targets = fields.keys.sorted().filter { name in
            guard case .string(let text)? = fields[name] else { return false }
            return Self.names(in: text) == [Placeholder.dueDate.rawValue]
                && text.trimmingCharacters(in: .whitespaces).hasPrefix("{{")
                && text.trimmingCharacters(in: .whitespaces).hasSuffix("}}")
        }
        if let dueDateField, fields[dueDateField] == nil { targets.append(dueDateField) }
        return targets
    }

    static func render(_ value: JSONValue, _ values: FieldValues) -> JSONValue? {
        switch value {
        case .string(let text):
            let names = Self.names(in: text)
            guard !names.isEmpty else { return value }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if names.count == 1, trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"),
                let only = Placeholder(rawValue: names.first ?? "")
            {
                return values.value(only).map(JSONValue.string)
            }
            return .string(fill(text, values))
        case .array(let items): return .array(items.compactMap { render($0, values) })
        case .object(let members): return .object(members.compactMapValues { render($0, values) })
        default: return value
        }
    }

    private static func fill(_ text: String, _ values: FieldValues) -> String {
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += Placeholder(rawValue: name).flatMap(values.value) ?? ""
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
