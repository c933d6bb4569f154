/// The link between one evidence request and one ticket in an external tracker.
public struct TicketLink: Sendable, Equatable {
    public var id: String
    public var orgID: String
    public var evidenceRequestID: String
    public var provider: String
    /// The org connection the ticket lives in; nil for the deployment default.
    public var connectionID: String?
    /// Empty while the link is a reservation (`isCreating`): the tracker has not answered yet.
    public var externalID: String
    /// A create reserved this link and has not completed it (it is running, died, or failed: `createError`).
    public var isCreating = false
    public var createError: String? = nil
    public var externalURL: String?
    /// The tracker's internal id (Jira issue id, ServiceNow sys_id), when it has one.
    public var externalRef: String?
    public var syncState: String
    public var lastError: String?
    public var createdAt: String
    public var updatedAt: String
    public var closedAt: String?
    /// `user` (closed here) or `tracker` (its workflow reached done); nil while open.
    public var closedBy: String? = nil
    /// The tracker's status as last applied from its webhook.
    public var trackerStatus: TrackerStatus? = nil

    public struct TrackerStatus: Sendable, Equatable {
        public var name: String
        public var category: String
        public var changedAt: String
    }

    public var isClosed: Bool { closedAt != nil }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "evidence_request_id": .string(evidenceRequestID),
            "provider": .string(provider),
            "connection_id": .optional(connectionID),
            "external_id": isCreating ? .null : .string(externalID),
            "state": .string(isCreating ? "creating" : "linked"),
            "external_url": .optional(externalURL),
            "sync_state": .string(syncState),
            "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
            "closed_at": .optional(closedAt),
            "closed_by": .optional(closedAt == nil ? nil : closedBy ?? "user"),
            "tracker_status": trackerStatus.map {
                .object([
                    "name": .string($0.name), "category": .string($0.category), "changed_at": .string($0.changedAt),
                ])
            } ?? .null,
        ]
        if syncState == "error" { members["last_error"] = .optional(lastError) }
        return .object(members)
    }
}
