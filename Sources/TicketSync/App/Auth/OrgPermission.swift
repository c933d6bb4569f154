/// What a member may do in an org. `configure` implies `read`.
public enum OrgPermission: String, Sendable, Comparable {
    case read
    case configure

    public static func < (lhs: OrgPermission, rhs: OrgPermission) -> Bool {
        lhs == .read && rhs == .configure
    }
}
