import TicketSyncPlatform

/// A webhook adapter's answer to `GET <url>/changes`, decoded only after its signature verified:
/// `{"changes": [<inbound webhook body>, …], "next": "<cursor>" | null}`. Each change is the generic inbound body
/// (`InboundEvent`), with an optional `changed_at` (the tracker's time of that change). A wrong shape fails the whole
/// answer, naming the field (`changes[2].tracker_status.updated_at`): nothing of it is applied.
struct WebhookSweepAnswer: Equatable {
    struct Change: Equatable {
        var event: InboundEvent
        /// `changed_at` (epoch ms), when the adapter sent it.
        var changedAt: Int64?
    }

    var changes: [Change]
    var next: String?

    /// The longest cursor accepted: it is sent back in a query string.
    static let maxCursorLength = 2048

    /// Why an answer is unusable, for the sweep's error.
    struct Invalid: Error, Equatable {
        var field: String
        var rule: String
    }

    static func decode(_ body: [UInt8]) throws(Invalid) -> WebhookSweepAnswer {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw Invalid(field: "", rule: "is not JSON (\(error.message))")
        }
        guard case .object(let members) = value else { throw Invalid(field: "", rule: "must be a JSON object") }
        guard case .array(let items)? = members["changes"] else {
            throw Invalid(field: "changes", rule: "must be an array")
        }
        var changes: [Change] = []
        for (index, item) in items.enumerated() {
            changes.append(try change(item, field: "changes[\(index)]"))
        }
        switch members["next"] {
        case nil, .null?:
            return WebhookSweepAnswer(changes: changes, next: nil)
        case .string(let cursor)? where !cursor.isEmpty && cursor.utf8.count <= maxCursorLength:
            return WebhookSweepAnswer(changes: changes, next: cursor)
        default:
            throw Invalid(field: "next", rule: "must be null or a non-empty string of at most \(maxCursorLength) bytes")
        }
    }

    private static func change(_ item: JSONValue, field: String) throws(Invalid) -> Change {
        let event: InboundEvent
        do {
            event = try InboundEvent.decode(item)
        } catch let error as APIError {
            let inner = error.problem.extensions["field"]?.stringValue ?? ""
            throw Invalid(
                field: inner.isEmpty ? field : "\(field).\(inner)", rule: "is invalid: \(error.problem.detail)")
        } catch {
            throw Invalid(field: field, rule: "is invalid: \(error)")
        }
        switch item["changed_at"] {
        case nil, .null?:
            return Change(event: event, changedAt: nil)
        case .string(let text)?:
            guard let milliseconds = TrackerTime.milliseconds(text) else { break }
            return Change(event: event, changedAt: milliseconds)
        default: break
        }
        throw Invalid(field: "\(field).changed_at", rule: "must be an RFC 3339 time")
    }

    /// The changes as tickets, in the order each ticket first appears: its comments in answer order; its status the
    /// `tracker_status` with the latest `updated_at` (a later one in the answer wins a tie); its time the latest of
    /// those and of `changed_at`. A plain `status` carries no time, so it cannot be ordered against the webhooks: a
    /// sweep leaves it out (the adapter reports the ticket's state with `tracker_status`).
    var tickets: [SweptTicket] {
        var order: [String] = []
        var byID: [String: SweptTicket] = [:]
        for change in changes {
            let id = change.event.externalID
            var ticket = byID[id] ?? SweptTicket(externalID: ExternalTicketID(id))
            if byID[id] == nil { order.append(id) }
            if let comment = change.event.comment { ticket.comments.append(comment) }
            if let status = change.event.trackerStatus, status.milliseconds >= (ticket.status?.milliseconds ?? .min) {
                ticket.status = status
            }
            for time in [change.changedAt, change.event.trackerStatus?.milliseconds].compactMap({ $0 }) {
                ticket.changedAt = max(ticket.changedAt ?? time, time)
            }
            byID[id] = ticket
        }
        return order.compactMap { byID[$0] }
    }
}
