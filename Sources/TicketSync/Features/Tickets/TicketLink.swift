import TicketSyncPlatform

/// The link between one evidence request and one ticket in an external tracker.
public struct TicketLink: Sendable, Equatable {
    public var id: TicketLinkID
    public var orgID: OrgID
    public var evidenceRequestID: EvidenceRequestID
    public var provider: String
    /// The org connection the ticket lives in; nil for the deployment default.
    public var connectionID: ConnectionID?
    /// Empty while the link is a reservation (`isCreating`): the tracker has not answered yet.
    public var externalID: ExternalTicketID
    /// A create reserved this link and has not completed it (it is running, died, or failed: `createError`).
    public var isCreating = false
    public var createError: String? = nil
    public var externalURL: String?
    /// The tracker's internal id (Jira issue id, ServiceNow sys_id), when it has one.
    public var externalRef: String?
    public var syncState: SyncState
    public var lastError: String?
    public var createdAt: String
    public var updatedAt: String
    public var closedAt: String?
    /// Closed here, or by the tracker's workflow; nil while open.
    public var closedBy: ClosedBy? = nil
    /// The tracker's status as last applied from its webhook.
    public var trackerStatus: TrackerStatus? = nil
    /// When the tracker last agreed with the link (a sweep or a re-sync saw its ticket as we have it); nil: never.
    public var lastVerifiedAt: String? = nil

    /// Whether the tracker has everything the link sent it: `pending` while an event is queued (or the create runs),
    /// `error` when one gave up (or the create failed, or the ticket is gone), `synced` otherwise.
    public enum SyncState: String, Sendable, Equatable {
        case synced, pending, error
    }

    /// The stored `state`: a reservation a create holds (`creating`), or a ticket the tracker answered (`linked`).
    enum State: String { case creating, linked }

    /// Who closed the link: a user here, or the tracker's workflow reaching done.
    public enum ClosedBy: String, Sendable, Equatable {
        case user, tracker
    }

    public struct TrackerStatus: Sendable, Equatable {
        public var name: String
        public var category: String
        public var changedAt: String
    }

    public var isClosed: Bool { closedAt != nil }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "evidence_request_id": evidenceRequestID.json,
            "provider": .string(provider),
            "connection_id": .optional(connectionID),
            "external_id": isCreating ? .null : externalID.json,
            "state": .string(isCreating ? "creating" : "linked"),
            "external_url": .optional(externalURL),
            "sync_state": .string(syncState.rawValue),
            "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
            "closed_at": .optional(closedAt),
            "closed_by": .optional(closedAt == nil ? nil : (closedBy ?? .user).rawValue),
            "tracker_status": trackerStatus.map {
                .object([
                    "name": .string($0.name), "category": .string($0.category), "changed_at": .string($0.changedAt),
                ])
            } ?? .null,
            "last_verified_at": .optional(lastVerifiedAt),
        ]
        if syncState == .error { members["last_error"] = .optional(lastError) }
        return .object(members)
    }
}
