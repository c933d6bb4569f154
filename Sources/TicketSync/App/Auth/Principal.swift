/// The authenticated caller, and what it may do in the org named by the path.
public struct Principal: Sendable {
    public var userID: UserID
    public var displayName: String
    public var email: String = ""
    /// nil when the caller is not a member of the path's org: such requests answer 404.
    public var permission: OrgPermission?
    /// The token's id, and when it expires (nil: never).
    public var tokenID: TokenID = ""
    public var tokenExpiresAt: String? = nil
    /// The token's recorded last use is over a minute old: record this one (after the answer, see `WorkerDatabase`).
    public var tokenUseIsStale = false
    /// The path's evidence request, read with the token when the route names one and the caller is a member.
    public var evidenceRequest: EvidenceRequest? = nil
}
