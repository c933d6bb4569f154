import TicketSyncPlatform

/// `POST /api/v1/orgs/{org_id}/ticket-sync/fields/preview` (org configure): a field mapping checked exactly as saving
/// `settings.fields` checks it (the same 422s), and rendered for one of the org's evidence requests, as a ticket
/// created now by the caller would get it. Nothing is stored and no tracker is asked.
enum FieldPreviewRoutes {
    static let members: Set<String> = ["kind", "fields", "assignee", "evidence_request_id"]

    static func preview(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.jsonObjectBody()
        if let unknown = body.keys.sorted().first(where: { !members.contains($0) }) {
            throw APIError.invalidField(
                unknown, "`\(unknown)` is not accepted here; send kind, fields, assignee and evidence_request_id.")
        }
        let kind = try Self.kind(body["kind"])
        let store = EvidenceRequestStore(db: try context.database())
        let dueDate = try store.hasDueDate()
        var mapping = FieldMapping.empty  // absent or null: no mapping, as a saved `fields: null` removes it
        if let value = body["fields"], value != .null {
            mapping = try FieldMapping.parse(value, owned: kind.tracker.ownedFields, dueDate: dueDate, field: "fields")
        }
        let assignee = try Self.assignee(body["assignee"])
        let request = try Self.request(body["evidence_request_id"], store: store, org: context.org)
        let values: FieldValues
        if let request {
            let facts = try store.ticketFacts(org: context.org, id: request.id)
            var read = request
            read.dueDate = facts.dueDate
            values = FieldValues(
                request: read, url: context.settings.evidenceRequestURL(read), orgName: facts.orgName,
                userEmail: context.principal?.email ?? "", userName: context.principal?.displayName ?? "")
        } else {
            // An org without evidence requests: the request's placeholders render empty (there is nothing to read
            // them from), the org's and the caller's as they would.
            values = FieldValues(
                request: EvidenceRequest(id: "", orgID: context.org, title: "", description: "", status: .open),
                url: nil, orgName: try store.orgName(context.org),
                userEmail: context.principal?.email ?? "", userName: context.principal?.displayName ?? "")
        }
        let placeholders = FieldMapping.Placeholder.allCases.filter { dueDate || $0 != .dueDate }
        return .json(
            200,
            .object([
                "evidence_request": request.map { .object(["id": $0.id.json, "title": .string($0.title)]) } ?? .null,
                "fields": .object(mapping.rendered(values, dueDateField: kind.tracker.dueDateField)),
                "assignee": .string(assignee.text),
                "placeholders": .array(placeholders.map { .string("{{\($0.rawValue)}}") }),
            ]))
    }

    private static func kind(_ value: JSONValue?) throws -> ProviderKind {
        let kinds = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
        guard case .string(let text)? = value else {
            throw APIError.invalidField("kind", "`kind` is required: one of \(kinds).")
        }
        guard let kind = ProviderKind(rawValue: text) else {
            throw APIError.invalidField("kind", "`kind` must be one of \(kinds).")
        }
        return kind
    }

    /// `assignee` as `settings.assignee` takes it; absent or null is the default, none.
    private static func assignee(_ value: JSONValue?) throws -> AssigneeRule {
        switch value {
        case nil, .null?: return .none
        case .string(let text)?: return try AssigneeRule.parse(text, field: "assignee")
        default: return try AssigneeRule.parse("", field: "assignee")  // the same 422 as a string it does not take
        }
    }

    /// The named request of the path's org (another org's is a 404 exactly like a missing one), or else the org's
    /// first by (title, id), as the evidence request list orders them; nil for an org without any.
    private static func request(_ value: JSONValue?, store: EvidenceRequestStore, org: OrgID) throws
        -> EvidenceRequest?
    {
        switch value {
        case nil, .null?: return try store.first(org: org)
        case .string(let text)?:
            guard let id = UUIDText.canonical(text) else {
                throw APIError.invalidField("evidence_request_id", "`evidence_request_id` must be a request's UUID.")
            }
            guard let request = try store.find(org: org, id: EvidenceRequestID(id)) else { throw TicketError.noRequest }
            return request
        default:
            throw APIError.invalidField("evidence_request_id", "`evidence_request_id` must be a request's UUID.")
        }
    }
}
