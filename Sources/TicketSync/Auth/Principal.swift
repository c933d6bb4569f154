/// The authenticated caller, and what it may do in the org named by the path.
public struct Principal: Sendable {
    public var userID: String
    public var displayName: String
    public var email: String = ""
    /// nil when the caller is not a member of the path's org: such requests answer 404.
    public var permission: OrgPermission?
    /// The path's evidence request, read with the token when the route names one and the caller is a member.
    public var evidenceRequest: EvidenceRequest? = nil
}
