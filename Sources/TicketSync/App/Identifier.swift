import TicketSyncPlatform

/// The id of one kind of domain object: a string on the wire and in the database, a type of its own in Swift, so
/// that a link's id passed where an org's is expected does not compile. `Tag` only names the kind.
public struct Identifier<Tag>: Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringInterpolation
{
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (left: Self, right: Self) -> Bool { left.rawValue < right.rawValue }

    /// In JSON an id is the plain string.
    public var json: JSONValue { .string(rawValue) }
}

extension Identifier: Codable {
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The kinds of id (tags only: never instantiated).
public enum IDKind {
    public enum Org {}
    public enum EvidenceRequest {}
    public enum TicketLink {}
    public enum Connection {}
    public enum User {}
    public enum Token {}
    public enum ExternalTicket {}
}

public typealias OrgID = Identifier<IDKind.Org>
public typealias EvidenceRequestID = Identifier<IDKind.EvidenceRequest>
public typealias TicketLinkID = Identifier<IDKind.TicketLink>
public typealias ConnectionID = Identifier<IDKind.Connection>
public typealias UserID = Identifier<IDKind.User>
public typealias TokenID = Identifier<IDKind.Token>
/// A tracker's key for a ticket (Jira `OPS-7`, a ServiceNow number, a webhook adapter's id).
public typealias ExternalTicketID = Identifier<IDKind.ExternalTicket>

extension JSONValue {
    /// An optional id as a string, or null.
    static func optional<Tag>(_ id: Identifier<Tag>?) -> JSONValue { id.map { .string($0.rawValue) } ?? .null }
}
extension PGRow {
    /// A column read as an id of the caller's kind (the column's text as it is).
    func id<Tag>(_ name: String) -> Identifier<Tag> { Identifier(string(name)) }

    /// A nullable column read as an id; null is nil.
    func optionalID<Tag>(_ name: String) -> Identifier<Tag>? { self[name].map { Identifier($0) } }
}

extension RequestContext {
    /// The path's org as an id (checked and made canonical by the application on org routes).
    public var org: OrgID { OrgID(orgID) }
}
