/// An evidence (PBC) request: owned by the host application, read and status-updated by Ticket Sync.
public struct EvidenceRequest: Sendable, Equatable {
    public var id: String
    public var orgID: String
    public var title: String
    public var description: String
    public var status: String

    public static let statuses = ["open", "in_progress", "submitted", "accepted", "rejected"]
}
