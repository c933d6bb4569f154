import Foundation
import TicketSyncPlatform

/// ServiceNow through the Table API. external_id is the record number (INC0010002), external_ref its sys_id.
public struct ServiceNowProvider: TicketProvider {
    public let kind = ProviderKind.servicenow
    let settings: ServiceNowSettings
    let baseURL: URL
    let apiToken: String
    let http: any OutboundHTTP
    let timeouts: HTTPTimeouts
    let linkBack: @Sendable (EvidenceRequest) -> String?
    /// `settings.fields`: read again at delivery, for the fields a due-date change updates.
    var mapping = FieldMapping.empty

    /// A 403 can be a Data Policy refusing the record's fields (`dataPolicyFields`): checked before the credentials.
    static let failure = TrackerFailure(
        tracker: "ServiceNow", credentialStatuses: [401], details: errorBody, fields: dataPolicyFields)

    var authHeader: (name: String, value: String) {
        switch settings.auth {
        case .apikey: ("x-sn-apikey", apiToken)
        case .bearer: ("Authorization", "Bearer \(apiToken)")
        }
    }

    /// ServiceNow answers 400 unless writes carry both Accept and Content-Type.
    func call(
        _ method: String, _ path: String, query: [URLQueryItem] = [], _ body: JSONValue? = nil,
        timeouts: HTTPTimeouts
    ) -> OutboundResult {
        guard var components = URLComponents(string: baseURL.absoluteString + path) else { return .failure("bad URL") }
        if !query.isEmpty {
            components.queryItems = query
            // URLComponents leaves `+` as it is, and ServiceNow reads a bare `+` in a query as a space
            // (dana+grc@example.com would be looked up as "dana grc@example.com").
            components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        }
        guard let url = components.url else { return .failure("bad URL") }
        var headers = self.headers
        if body != nil { headers["Content-Type"] = "application/json" }
        return http.send(
            OutboundRequest(
                url: url, method: method, headers: headers,
                body: body?.serialized() ?? []), timeout: timeouts)
    }

    /// Every call's headers but Content-Type (writes add it).
    var headers: [String: String] {
        [authHeader.name: authHeader.value, "Accept": "application/json", "User-Agent": TicketSyncVersion.userAgent]
    }

    var tablePath: String { "/api/now/table/\(settings.table)" }

    /// The record carries the creation key as `correlation_id` (and `correlation_display` "Ticket Sync"), the mapped
    /// columns (`draft.fields`; the owned `short_description` and `correlation_id` are always ours) and the assignee
    /// as `assigned_to` (a sys_user sys_id). On a resumed create, a record already carrying the key (made by a create
    /// that died or failed before recording it) is found first and returned instead; a fresh create asks nothing
    /// first. The Table API reads the table itself, so a record made a moment ago is found at once (no lag to wait
    /// out). A Data Policy refusing the insert is `fieldsRefused` (422, `dataPolicyFields`).
    public func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket {
        let request = draft.request
        if key.resumed, let existing = try findRecord(correlated: key.text) { return existing }
        var description = request.description
        if let link = linkBack(request) {
            description += (description.isEmpty ? "" : "\n\n") + "Evidence request: \(link)"
        }
        var record: [String: JSONValue] = ["description": .string(description)]
        record["correlation_display"] = .string("Ticket Sync")
        record.merge(draft.fields) { _, mapped in mapped }
        if let assignee = draft.assignee { record["assigned_to"] = .string(assignee) }
        record["short_description"] = .string(String(request.title.prefix(160)))
        record["correlation_id"] = .string(key.text)
        let result = call(
            "POST", tablePath, query: [URLQueryItem(name: "sysparm_fields", value: "sys_id,number")],
            .object(record), timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status), let record = result.jsonObject?["result"],
            let sysID = record["sys_id"]?.stringValue, let number = record["number"]?.stringValue
        else { throw Self.failure.apiError(result, action: "create the \(settings.table) record") }
        return ticket(number: number, sysID: sysID)
    }

    /// `GET /api/now/table/<table>?sysparm_query=correlation_id=<key>`: 200 with `result: []` when nothing matches.
    /// A look-up that fails (429 included, with its Retry-After) stops the create.
    func findRecord(correlated key: String) throws -> CreatedTicket? {
        let found = call(
            "GET", tablePath,
            query: [
                URLQueryItem(name: "sysparm_query", value: "correlation_id=\(key)"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id,number"),
                URLQueryItem(name: "sysparm_limit", value: "1"),
            ], timeouts: timeouts)
        guard let status = found.status, (200..<300).contains(status),
            case .array(let rows)? = found.jsonObject?["result"]
        else { throw Self.failure.apiError(found, action: "look for a record this create already made").lookupOnly }
        guard let row = rows.first, let sysID = row["sys_id"]?.stringValue, let number = row["number"]?.stringValue
        else { return nil }
        return ticket(number: number, sysID: sysID)
    }

    func ticket(number: String, sysID: String) -> CreatedTicket {
        CreatedTicket(
            provider: kind.rawValue, externalID: ExternalTicketID(number),
            externalURL: "\(baseURL.absoluteString)/nav_to.do?uri=\(settings.table).do?sys_id=\(sysID)",
            externalRef: sysID)
    }

    public func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        guard let sysID = event.externalRef else {
            return .giveUp(reason: "the link has no ServiceNow sys_id", status: nil)
        }
        switch event.eventType {
        case .comment:
            // A retry first looks for this event's marker among the record's newest journal entries: a push whose
            // answer was lost is not posted twice.
            if event.attempts > 1 {
                switch journalEntry(sysID: sysID, containing: Self.marker(event), timeouts: timeouts) {
                case .success(let existing?): return .delivered(externalCommentID: existing, echo: nil)
                case .success(nil): break
                case .failure(let failed): return Self.failure.outcome(failed.result)
                }
            }
            let comment = event.payload["comment"]
            let text =
                "\(comment?["body"]?.stringValue ?? "")\n\n— \(comment?["author"]?.stringValue ?? "Ticket Sync"), via Ticket Sync "
                + Self.marker(event)
            let result = call(
                "PATCH", "\(tablePath)/\(sysID)", .object(["comments": .string(text)]), timeouts: timeouts)
            guard let status = result.status, (200..<300).contains(status) else { return Self.failure.outcome(result) }
            return .delivered(
                externalCommentID: journalEntryID(sysID: sysID, text: text, timeouts: timeouts), echo: nil)
        case .close:
            // State, resolution code and notes together: instances refuse a resolve without them (data policy).
            let result = call(
                "PATCH", "\(tablePath)/\(sysID)",
                .object([
                    "state": .string(settings.closeState),
                    "close_code": .string(settings.closeCode),
                    "close_notes": .string("Closed from Ticket Sync."),
                ]), timeouts: timeouts)
            guard let status = result.status, (200..<300).contains(status) else { return Self.failure.outcome(result) }
            return .delivered(externalCommentID: nil, echo: nil)
        case .create:
            return .giveUp(reason: "ticket.create is never queued", status: nil)
        case .update:
            return updateDueDate(event, sysID: sysID, timeouts: timeouts)
        }
    }

    /// The journal entry a PATCH of `comments` just wrote is not in the PATCH's answer: read the newest one back.
    /// Events of one link are delivered one at a time, so the newest entry with our text is ours. When the account
    /// may not read sys_journal_field, the deliverer mints a stable id instead (logged once).
    private func journalEntryID(sysID: String, text: String, timeouts: HTTPTimeouts) -> String? {
        let result = newestJournalEntries(sysID: sysID, limit: 1, timeouts: timeouts)
        guard let status = result.status, (200..<300).contains(status) else {
            LogOnce.shared.warning(
                "ServiceNow: cannot read sys_journal_field (\(result.summary)); comments get minted ids")
            return nil
        }
        guard case .array(let rows)? = result.jsonObject?["result"], let newest = rows.first,
            newest["value"]?.stringValue == text
        else { return nil }
        return newest["sys_id"]?.stringValue
    }

    /// The record's newest comment journal entries (`sys_journal_field`), newest first.
    private func newestJournalEntries(sysID: String, limit: Int, timeouts: HTTPTimeouts) -> OutboundResult {
        call(
            "GET", "/api/now/table/sys_journal_field",
            query: [
                URLQueryItem(
                    name: "sysparm_query", value: "element_id=\(sysID)^element=comments^ORDERBYDESCsys_created_on"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id,value,sys_created_on"),
                URLQueryItem(name: "sysparm_limit", value: String(limit)),
            ], timeouts: timeouts)
    }

    /// `(ref 1a2b3c4d)`: the first eight hex digits of the event id, at the end of the comment's signature line.
    static func marker(_ event: OutboxEvent) -> String { "(ref \(event.eventID.prefix(8)))" }

    /// The newest of the record's last 20 comment journal entries that contains `marker`; nil when none does, or when
    /// the account may not read the journal (401/403: the push then goes ahead, at least once). Any other failure
    /// fails the attempt (retried later) rather than risk a second comment.
    private func journalEntry(sysID: String, containing marker: String, timeouts: HTTPTimeouts)
        -> Result<String?, LookupFailure>
    {
        let result = newestJournalEntries(sysID: sysID, limit: 20, timeouts: timeouts)
        if let status = result.status, [401, 403].contains(status) { return .success(nil) }
        guard let status = result.status, (200..<300).contains(status),
            case .array(let rows)? = result.jsonObject?["result"]
        else { return .failure(LookupFailure(result: result)) }
        return .success(rows.first { $0["value"]?.stringValue?.contains(marker) == true }?["sys_id"]?.stringValue)
    }

    struct LookupFailure: Error { let result: OutboundResult }

    /// ServiceNow's `{"error": {"message": ..., "detail": ...}, "status": "failure"}`.
    static func errorBody(_ result: OutboundResult) -> String? {
        guard let error = result.jsonObject?["error"] else { return nil }
        let parts = [error["message"]?.stringValue, error["detail"]?.stringValue].compactMap { $0 }.filter {
            !$0.isEmpty
        }
        return parts.isEmpty ? nil : parts.joined(separator: ": ")
    }
}
