import TicketSyncPlatform

extension Settings {
    /// TICKET_FIELDS and TICKET_ASSIGNEE, checked as a connection's `settings.fields` and `settings.assignee` are
    /// (fields TICKET_PROVIDER's tracker owns refused). Whether the host table has a due_date column is not known
    /// before the database is reached, so `{{request.due_date}}` is accepted here and renders nothing without it.
    mutating func readTicketFields(_ value: (String) -> String?) {
        if let text = value("TICKET_FIELDS") {
            do {
                let json = try JSONParser.parse(Array(text.utf8))
                fieldMapping = try FieldMapping.parse(
                    json, owned: provider.tracker.ownedFields, dueDate: true, field: "TICKET_FIELDS")
            } catch let error as APIError {
                errors.append("TICKET_FIELDS: \(error.problem.detail)")
            } catch {
                errors.append("TICKET_FIELDS: not JSON (\(error))")
            }
        }
        if let text = value("TICKET_ASSIGNEE") {
            if let rule = AssigneeRule(text) {
                assignee = rule
            } else {
                errors.append("TICKET_ASSIGNEE: '\(text)' must be none, creator, or account:<the tracker's account id>")
            }
        }
    }
}
