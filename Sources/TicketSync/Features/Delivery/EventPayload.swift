import TicketSyncPlatform

/// The JSON bodies of outbound events: everything a small adapter needs, in one stable shape.
/// Serialized by `JSONValue` (sorted keys, compact, UTF-8, slashes unescaped) and signed exactly as sent.
public enum EventPayload {
    static func envelope(
        _ type: OutboxEvent.EventType, eventID: String, occurredAt: String, orgID: String,
        evidenceRequestID: String, externalID: String
    ) -> [String: JSONValue] {
        [
            "event_id": .string(eventID),
            "event_type": .string(type.rawValue),
            "occurred_at": .string(occurredAt),
            "org_id": .string(orgID),
            "evidence_request_id": .string(evidenceRequestID),
            "external_id": .string(externalID),
        ]
    }

    /// `fields`: the connection's mapping rendered (the due date as `due_date`); `assignee`: the account or, for
    /// `creator`, the requester's e-mail (the adapter finds the user); both only when set.
    public static func create(
        eventID: String, occurredAt: String, externalID: String, request: EvidenceRequest,
        link: String?, fields: [String: JSONValue] = [:], assignee: String? = nil
    ) -> JSONValue {
        var members = envelope(
            .create, eventID: eventID, occurredAt: occurredAt, orgID: request.orgID.rawValue,
            evidenceRequestID: request.id.rawValue, externalID: externalID)
        members["evidence_request"] = .object([
            "id": request.id.json,
            "title": .string(request.title),
            "description": .string(request.description),
            "status": .string(request.status.rawValue),
            "url": .optional(link),
        ])
        if !fields.isEmpty { members["fields"] = .object(fields) }
        if let assignee { members["assignee"] = .string(assignee) }
        return .object(members)
    }

    public static func comment(
        eventID: String, occurredAt: String, externalID: String, orgID: String,
        evidenceRequestID: String, comment: Comment
    ) -> JSONValue {
        var members = envelope(
            .comment, eventID: eventID, occurredAt: occurredAt, orgID: orgID,
            evidenceRequestID: evidenceRequestID, externalID: externalID)
        members["comment"] = .object([
            "id": .int(comment.id),
            "author": .string(comment.author),
            "body": .string(comment.body),
            "created_at": .string(comment.createdAt),
        ])
        return .object(members)
    }

    public static func close(
        eventID: String, occurredAt: String, externalID: String, orgID: String,
        evidenceRequestID: String, closedAt: String
    ) -> JSONValue {
        var members = envelope(
            .close, eventID: eventID, occurredAt: occurredAt, orgID: orgID,
            evidenceRequestID: evidenceRequestID, externalID: externalID)
        members["closed_at"] = .string(closedAt)
        return .object(members)
    }

    /// A changed due date (`DueDateWatch`): `due_date` is YYYY-MM-DD, or null when the host removed it.
    public static func update(
        eventID: String, occurredAt: String, externalID: String, orgID: String,
        evidenceRequestID: String, dueDate: String?
    ) -> JSONValue {
        var members = envelope(
            .update, eventID: eventID, occurredAt: occurredAt, orgID: orgID,
            evidenceRequestID: evidenceRequestID, externalID: externalID)
        members["due_date"] = .optional(dueDate)
        return .object(members)
    }
}
