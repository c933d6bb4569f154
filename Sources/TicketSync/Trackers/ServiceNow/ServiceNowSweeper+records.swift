import Foundation
import TicketSyncPlatform

/// A record and its comment journal entries as the sweep reads them.
extension ServiceNowSweeper {
    struct Record {
        var sysID: String
        var number: String
        /// The state's value (`6`) and its name (`Resolved`).
        var state: String?
        var stateName: String?
        /// `sys_updated_on` in epoch milliseconds.
        var updated: Int64?
        /// The account that created the record: ours (the integration user), as every record a sweep reads was
        /// created by Ticket Sync.
        var createdBy: String?

        /// Nil for a row without a sys_id or a number.
        init?(_ row: JSONValue) {
            guard let sysID = Self.field(row, "sys_id").value, let number = Self.field(row, "number").value else {
                return nil
            }
            self.sysID = sysID
            self.number = number
            let state = Self.field(row, "state")
            self.state = state.value
            stateName = state.display ?? state.value
            updated = Self.field(row, "sys_updated_on").value.flatMap(TrackerTime.milliseconds)
            createdBy = Self.field(row, "sys_created_by").value
        }

        /// `{"value": …, "display_value": …}` under `sysparm_display_value=all`, a plain string otherwise; empty is
        /// none.
        static func field(_ row: JSONValue, _ name: String) -> (value: String?, display: String?) {
            let nonEmpty = { (text: String?) in text.flatMap { $0.isEmpty ? nil : $0 } }
            switch row[name] {
            case .string(let text)?: return (nonEmpty(text), nonEmpty(text))
            case .object(let members)?:
                return (nonEmpty(members["value"]?.stringValue), nonEmpty(members["display_value"]?.stringValue))
            default: return (nil, nil)
            }
        }

        /// The state as a tracker status at `sys_updated_on` (the record's last update: the Table API keeps no
        /// time of the state itself, and an update that left the state alone does not count as a change of it).
        func swept(externalID: String, comments: [InboundEvent.ExternalComment]) -> SweptTicket {
            var status: TrackerStatusChange?
            if let state, let updated {
                status = TrackerStatusChange(
                    name: stateName ?? state, category: TrackerStatusChange.serviceNowCategory(state: state),
                    state: state, milliseconds: updated, actor: nil)
            }
            return SweptTicket(externalID: ExternalTicketID(externalID), status: status, comments: comments, changedAt: updated)
        }

        /// The entry as a comment written on ServiceNow; nil for ours: those by the account that created the record
        /// (the integration user, as the Business Rule leaves out) and those ending in our signature line.
        func comment(_ entry: JournalEntry) -> InboundEvent.ExternalComment? {
            if let createdBy, entry.createdBy == createdBy { return nil }
            if ServiceNowProvider.isSigned(entry.value) { return nil }
            return InboundEvent.ExternalComment(
                externalCommentID: entry.sysID,
                author: Self.clipped(entry.createdBy ?? "ServiceNow", InboundEvent.maxAuthorLength),
                body: Self.clipped(entry.value, Comment.maxBodyLength))
        }

        /// At most `limit` code points, without NULs (the limits of a comment arriving by webhook).
        static func clipped(_ text: String, _ limit: Int) -> String {
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: text.unicodeScalars.lazy.filter { $0 != "\u{0}" }.prefix(limit))
            return String(scalars)
        }
    }

    /// A `sys_journal_field` row of element `comments`.
    struct JournalEntry {
        var sysID: String
        /// The record's sys_id.
        var elementID: String
        var value: String
        var createdBy: String?

        /// Nil without an id, a record, or any text.
        init?(_ row: JSONValue) {
            guard let sysID = Record.field(row, "sys_id").value, let elementID = Record.field(row, "element_id").value,
                let value = Record.field(row, "value").value,
                !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else { return nil }
            self.sysID = sysID
            self.elementID = elementID
            self.value = value
            createdBy = Record.field(row, "sys_created_by").value
        }
    }
}

extension ServiceNowProvider {
    /// Whether a comment's text ends in the signature line `deliver` writes (`— Dana, via Ticket Sync (ref
    /// 1a2b3c4d)`): one of ours, even when its journal entry's id could not be read back.
    static func isSigned(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = trimmed.split(separator: "\n").last, last.hasPrefix("— "), trimmed.hasSuffix(")"),
            let ref = last.range(of: ", via Ticket Sync (ref ", options: .backwards)
        else { return false }
        let tag = last[ref.upperBound...].dropLast()
        return tag.count == 8 && tag.allSatisfy(\.isHexDigit)
    }
}
