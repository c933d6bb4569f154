import Foundation
import TicketSyncPlatform

/// ServiceNow's part of ticket fields: the assignee looked up by e-mail, a due-date change pushed to the record, and
/// a Data Policy's refusal read as the fields it names.
extension ServiceNowProvider {
    /// `GET /api/now/table/sys_user?sysparm_query=email=<email>^active=true`: the active user with this e-mail (its
    /// sys_id is what `assigned_to` takes); none is `.notFound`. An address that cannot be put in an encoded query
    /// safely (`encodedQueryValue`) is never asked about and counts as not found.
    public func account(email: String) throws -> AccountLookup {
        guard let value = Self.encodedQueryValue(email) else { return .notFound }
        let found = call(
            "GET", "/api/now/table/sys_user",
            query: [
                URLQueryItem(name: "sysparm_query", value: "email=\(value)^active=true"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id"),
                URLQueryItem(name: "sysparm_limit", value: "1"),
            ], timeouts: timeouts)
        guard let status = found.status, (200..<300).contains(status),
            case .array(let rows)? = found.jsonObject?["result"]
        else { throw Self.failure.apiError(found, action: "look up the assignee by e-mail").lookupOnly }
        guard let sysID = rows.first?["sys_id"]?.stringValue, !sysID.isEmpty else { return .notFound }
        return .found(sysID)
    }

    /// A value for `field=value` in an encoded query, or nil when it cannot be one: `^` separates conditions
    /// (ServiceNow documents no escape for it, so `a^ORactive=false@x` would add a condition), a line break ends the
    /// query, and a value starting with `javascript:` is run as a script by the instance.
    static func encodedQueryValue(_ text: String) -> String? {
        guard !text.isEmpty, !text.contains("^"), !text.unicodeScalars.contains(where: { $0.value < 0x20 }),
            !text.lowercased().hasPrefix("javascript:")
        else { return nil }
        return text
    }

    /// A `ticket.update` (a changed due date): one PATCH of the fields it updates, a cleared date sent as "" (how
    /// the Table API empties a field). Setting the same value twice changes nothing, so a retry is harmless. No
    /// field to update (the mapping sets the due date to something else): delivered without a call.
    func updateDueDate(_ event: OutboxEvent, sysID: String, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        let fields = event.dueDateUpdate(mapping, dueDateField: ServiceNowTracker.dueDateField)
        guard !fields.isEmpty else { return .delivered(externalCommentID: nil, echo: nil) }
        let body = fields.mapValues { $0 == .null ? JSONValue.string("") : $0 }
        let result = call("PATCH", "\(tablePath)/\(sysID)", .object(body), timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status) else { return Self.failure.outcome(result) }
        return .delivered(externalCommentID: nil, echo: nil)
    }

    /// The fields a Data Policy refused, by the labels ServiceNow names them with: its error is
    /// `{"error": {"message": "Operation Failed", "detail": "Data Policy Exception: \n The following fields are
    /// mandatory: Assignment group, Category"}, "status": "failure"}` (HTTP 403), or, for one field, "Data Policy
    /// Exception: Short description is mandatory". Each field's message is ServiceNow's sentence; nil for any other
    /// error.
    static func dataPolicyFields(_ result: OutboundResult) -> [TrackerFieldProblem]? {
        guard let error = result.jsonObject?["error"] else { return nil }
        let text = [error["message"]?.stringValue, error["detail"]?.stringValue].compactMap { $0 }
            .joined(separator: "\n")
        guard let policy = text.range(of: "Data Policy Exception", options: .caseInsensitive) else { return nil }
        // ServiceNow's words, on one line: "Data Policy Exception: The following fields are mandatory: A, B".
        let words = text[policy.lowerBound...].split(whereSeparator: \.isWhitespace).joined(separator: " ")
        var labels: [String] = []
        for line in text[policy.lowerBound...].split(whereSeparator: \.isNewline) {
            if let list = line.range(of: "The following fields are mandatory:", options: .caseInsensitive) {
                labels += line[list.upperBound...].split(separator: ",").map(String.init)
            } else if let one = line.range(of: #"[^:]+(?= is mandatory\.?\s*$)"#, options: .regularExpression) {
                labels.append(String(line[one]))  // "Data Policy Exception: Short description is mandatory"
            }
        }
        let problems = labels.map { $0.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "."))) }
            .filter { !$0.isEmpty }.map { TrackerFieldProblem(field: $0, message: words) }
        return problems.isEmpty ? nil : problems
    }
}
