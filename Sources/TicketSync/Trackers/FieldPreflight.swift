import TicketSyncPlatform

/// One field a tracker requires on a new ticket and fills in no default for (Jira's create metadata), with the
/// values it allows when it lists them.
public struct RequiredField: Sendable, Equatable {
    public var id: String
    public var name: String
    public var allowedValues: [String]

    public init(id: String, name: String, allowedValues: [String] = []) {
        self.id = id
        self.name = name
        self.allowedValues = allowedValues
    }

    public var json: JSONValue {
        .object([
            "id": .string(id), "name": .string(name), "allowed_values": .array(allowedValues.map(JSONValue.string)),
        ])
    }

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.id = id
        self.name = json["name"]?.stringValue ?? id
        if case .array(let values)? = json["allowed_values"] {
            allowedValues = values.compactMap(\.stringValue)
        } else {
            allowedValues = []
        }
    }
}

/// What reading a tracker's required fields came to: the fields, or the connection-test step that failed.
public enum RequiredFieldsRead: Sendable, Equatable {
    case read([RequiredField])
    case failed(ConnectionCheck.Step)
}

/// The required-field preflight: what the tracker requires (read by the connection test), and which of those a
/// connection's mapping leaves unset. Kept with the test's result, so readiness recomputes what is missing against
/// the mapping as it is now, without asking the tracker again.
public enum FieldPreflight {
    /// The required fields nothing sets: not owned by Ticket Sync (`owned`, and the description it always writes),
    /// not in the mapping, and not the assignee when an assignee rule sets it.
    public static func missing(
        _ required: [RequiredField], mapping: FieldMapping, owned: [String], assignee: AssigneeRule
    ) -> [RequiredField] {
        let set = Set(owned + ["description"] + mapping.fields.keys + (assignee == .none ? [] : ["assignee"]))
        return required.filter { !set.contains($0.id) }
    }

    /// The `preflight` member of a connection test's result.
    public static func json(required: [RequiredField], missing: [RequiredField]) -> JSONValue {
        .object(["required": .array(required.map(\.json)), "missing": .array(missing.map(\.json))])
    }

    /// The required fields a stored test result lists; nil when that test read none (a tracker without create
    /// metadata, or a test that stopped before it).
    public static func stored(_ lastTest: JSONValue?) -> [RequiredField]? {
        guard case .array(let fields)? = lastTest?["preflight"]?["required"] else { return nil }
        return fields.compactMap(RequiredField.init)
    }
}
