import TicketSyncPlatform

/// Who a new ticket is assigned to (`settings.assignee`, TICKET_ASSIGNEE): nobody, the tracker user with the e-mail
/// of whoever asked for the ticket, or one tracker account.
public enum AssigneeRule: Sendable, Equatable {
    case none
    case creator
    case account(String)

    public init?(_ text: String) {
        switch text {
        case "none": self = .none
        case "creator": self = .creator
        case _ where text.hasPrefix("account:"):
            let id = String(text.dropFirst(8))
            guard !id.isEmpty, id.count <= 128, !id.unicodeScalars.contains(where: { $0.value < 0x21 }) else {
                return nil
            }
            self = .account(id)
        default: return nil
        }
    }

    public var text: String {
        switch self {
        case .none: "none"
        case .creator: "creator"
        case .account(let id): "account:\(id)"
        }
    }

    static func parse(_ text: String, field: String) throws -> AssigneeRule {
        guard let rule = AssigneeRule(text) else {
            throw APIError.invalidField(
                field, "`\(field)` must be none, creator, or account:<the tracker's account id>.")
        }
        return rule
    }
}
