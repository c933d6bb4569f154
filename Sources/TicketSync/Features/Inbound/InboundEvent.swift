import Foundation
import TicketSyncPlatform

/// The generic inbound webhook body, validated whole before anything is written:
/// `{"external_id": str, "comment": {"external_comment_id": str, "author": str, "body": str}?, "status": str?,
///   "tracker_status": {"name": str, "state": str?, "category": str?, "updated_at": str, "updated_by": str?}?}`.
/// `status` sets the evidence request's status as it is; `tracker_status` is the ticket's own status (ServiceNow's
/// Business Rule sends the record's state), which moves the link and goes through the connection's status map.
public struct InboundEvent: Sendable, Equatable {
    public struct ExternalComment: Sendable, Equatable {
        public var externalCommentID: String
        public var author: String
        public var body: String
    }

    public var externalID: String
    public var comment: ExternalComment?
    public var status: String?
    public var trackerStatus: TrackerStatusChange?

    static let maxIDLength = 255
    static let maxAuthorLength = 255

    /// Decodes an already-parsed JSON body; wrong shapes throw 422 naming the field.
    public static func decode(_ value: JSONValue) throws -> InboundEvent {
        guard case .object(let members) = value else {
            throw APIError.invalidField("", "The body must be a JSON object.")
        }
        let externalID = try identifier(members["external_id"], field: "external_id")
        var comment: ExternalComment?
        switch members["comment"] {
        case nil, .null?:
            break
        case .object(let fields)?:
            comment = ExternalComment(
                externalCommentID: try identifier(fields["external_comment_id"], field: "comment.external_comment_id"),
                author: try text(fields["author"], field: "comment.author", limit: maxAuthorLength),
                body: try CommentText.validated(fields["body"], field: "comment.body"))
        default:
            throw APIError.invalidField("comment", "`comment` must be an object.")
        }
        var status: String?
        switch members["status"] {
        case nil, .null?:
            break
        case .string(let value)? where EvidenceRequest.statuses.contains(value):
            status = value
        default:
            throw APIError.invalidField(
                "status", "`status` must be one of \(EvidenceRequest.statuses.joined(separator: ", ")).")
        }
        let tracker = try members["tracker_status"].flatMap { $0 == .null ? nil : try trackerStatus($0) }
        return InboundEvent(externalID: externalID, comment: comment, status: status, trackerStatus: tracker)
    }

    /// The category comes from `category`, else from a ServiceNow `state`; `updated_at` orders the events.
    private static func trackerStatus(_ value: JSONValue) throws -> TrackerStatusChange {
        guard case .object(let fields) = value else {
            throw APIError.invalidField("tracker_status", "`tracker_status` must be an object.")
        }
        let name = try text(fields["name"], field: "tracker_status.name", limit: maxIDLength)
        let state = try fields["state"].map { try text($0, field: "tracker_status.state", limit: 40) }
        let category: TrackerStatusChange.Category
        switch (fields["category"], state) {
        case (.string(let raw)?, _):
            guard let known = TrackerStatusChange.Category(rawValue: raw) else {
                throw APIError.invalidField(
                    "tracker_status.category", "`tracker_status.category` must be new, indeterminate or done.")
            }
            category = known
        case (nil, let state?): category = TrackerStatusChange.serviceNowCategory(state: state)
        default:
            throw APIError.invalidField(
                "tracker_status.category",
                "`tracker_status` needs a `category` (new, indeterminate, done) or a ServiceNow `state`.")
        }
        let updated = try text(fields["updated_at"], field: "tracker_status.updated_at", limit: 40)
        guard let milliseconds = TrackerTime.milliseconds(updated) else {
            throw APIError.invalidField(
                "tracker_status.updated_at",
                "`tracker_status.updated_at` must be ISO 8601 or ServiceNow's `yyyy-MM-dd HH:mm:ss` (UTC).")
        }
        let actor = try fields["updated_by"].map {
            try text($0, field: "tracker_status.updated_by", limit: maxAuthorLength)
        }
        return TrackerStatusChange(
            name: name, category: category, state: state, milliseconds: milliseconds, actor: actor)
    }

    private static func identifier(_ value: JSONValue?, field: String) throws -> String {
        try text(value, field: field, limit: maxIDLength)
    }

    private static func text(_ value: JSONValue?, field: String, limit: Int) throws -> String {
        guard case .string(let text)? = value else {
            throw APIError.invalidField(field, "`\(field)` must be a string.")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= limit, !trimmed.unicodeScalars.contains("\u{0}") else {
            throw APIError.invalidField(field, "`\(field)` must be a non-empty string of at most \(limit) characters.")
        }
        return trimmed
    }
}
