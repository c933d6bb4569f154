import Foundation

/// The generic inbound webhook body, validated whole before anything is written:
/// `{"external_id": str, "comment": {"external_comment_id": str, "author": str, "body": str}?, "status": str?}`.
public struct InboundEvent: Sendable, Equatable {
    public struct ExternalComment: Sendable, Equatable {
        public var externalCommentID: String
        public var author: String
        public var body: String
    }

    public var externalID: String
    public var comment: ExternalComment?
    public var status: String?

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
        return InboundEvent(externalID: externalID, comment: comment, status: status)
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
