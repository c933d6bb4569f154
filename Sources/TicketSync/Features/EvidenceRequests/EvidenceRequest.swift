/// An evidence (PBC) request: owned by the host application, read and status-updated by Ticket Sync.
public struct EvidenceRequest: Sendable, Equatable {
    public var id: EvidenceRequestID
    public var orgID: OrgID
    public var title: String
    public var description: String
    public var status: Status
    /// `evidence_requests.due_date` (YYYY-MM-DD) where the host's table has that optional column; read only when a
    /// ticket is made (`EvidenceRequestStore.ticketFacts`).
    public var dueDate: String? = nil

    /// The request's PBC status, as the host's table's CHECK allows it.
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case open
        case inProgress = "in_progress"
        case submitted, accepted, rejected
    }

    public static let statuses = Status.allCases.map(\.rawValue)
}
