import Foundation
import TicketSyncPlatform

/// Linear's part of ticket fields: the mapped input of `issueCreate`, the assignee looked up by e-mail, a due-date
/// change pushed with `issueUpdate`, and Linear's input errors read as the mapped fields they blame.
extension LinearProvider {
    /// `issueCreate`'s input: ours (`issueInput`), the mapped fields over it, the assignee, and the fields Ticket
    /// Sync owns (`id`, `teamId`) last, so no mapping can change them.
    static func createInput(
        _ draft: TicketDraft, id: String, team: String, _ linkBack: (EvidenceRequest) -> String?
    ) -> [String: JSONValue] {
        var input = issueInput(draft.request, id: id, team: team, linkBack)
        input.merge(draft.fields) { _, mapped in mapped }
        if let assignee = draft.assignee { input["assigneeId"] = .string(assignee) }
        input["id"] = .string(id)
        input["teamId"] = .string(team)
        return input
    }

    /// `users(filter: {email: {eqIgnoreCase: $email}})`: the user with this e-mail, whatever its case (the host and
    /// Linear may spell an address differently); Linear leaves disabled users out unless asked (`includeDisabled`,
    /// default false in its schema). None is `.notFound`.
    func account(email: String) throws -> AccountLookup {
        let result = client.send(LinearDocument.users, ["email": .string(email)], timeouts: timeouts)
        guard case .array(let nodes)? = LinearGraphQL.data(result, "users")?["nodes"] else {
            throw Self.failure.apiError(result, action: "look up the assignee by e-mail").lookupOnly
        }
        guard let id = nodes.first?["id"]?.stringValue, !id.isEmpty else { return .notFound }
        return .found(id)
    }

    /// A `ticket.update` (a changed due date): `issueUpdate(id:, input: {dueDate: …})`, a cleared date sent as null
    /// (how Linear empties a field). Setting the same date twice changes nothing, so a retry is harmless. No field to
    /// update (the mapping sets `dueDate` to something else): delivered without a call.
    func updateDueDate(_ event: OutboxEvent, issueID: String, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        let fields = event.dueDateUpdate(mapping, dueDateField: LinearTracker.dueDateField)
        guard !fields.isEmpty else { return .delivered(externalCommentID: nil, echo: nil) }
        let result = client.send(
            LinearDocument.issueUpdate, ["id": .string(issueID), "input": .object(fields)], timeouts: timeouts)
        guard LinearGraphQL.data(result, "issueUpdate")?["success"] == .bool(true) else {
            return Self.failure.outcome(result)
        }
        return .delivered(externalCommentID: nil, echo: nil)
    }

    /// The shared failure, reading which of `mapped` (the mapped input fields) Linear's errors blame.
    static func failure(blaming mapped: Set<String>) -> TrackerFailure {
        var failure = Self.failure
        failure.fields = { LinearGraphQL.blamedFields($0, among: mapped) }
        return failure
    }
}

extension LinearGraphQL {
    /// The mapped input fields Linear's `errors[]` blame, each with Linear's words (`userPresentableMessage`, else
    /// `message`, as Linear's SDK picks them); nil when no error names one (the refusal is then not about the
    /// mapping and stays a 502). Linear names a field in several ways:
    /// - an argument validation error (type-graphql's "Argument Validation Error", `extensions.code` INVALID_INPUT,
    ///   `type` "invalid input") whose `validationErrors` (in `extensions` or `extensions.exception`) carry the
    ///   `property`, or whose message starts with it ("priority must not be greater than 4");
    /// - GraphQL's own input coercion errors: `… at "input.priority"; …`, `Field "foo" is not defined by type
    ///   "IssueCreateInput".`;
    /// - a reference to nothing: "Entity not found: Project" (→ `projectId`; a label → `labelIds`).
    static func blamedFields(_ result: OutboundResult, among mapped: Set<String>) -> [TrackerFieldProblem]? {
        guard !mapped.isEmpty, case .array(let errors)? = result.jsonObject?["errors"] else { return nil }
        var problems: [TrackerFieldProblem] = []
        func blame(_ field: String, _ message: String) {
            guard mapped.contains(field), !problems.contains(where: { $0.field == field }) else { return }
            problems.append(TrackerFieldProblem(field: field, message: message))
        }
        for error in errors {
            let message = error["message"]?.stringValue ?? ""
            let words = error["extensions"]?["userPresentableMessage"]?.stringValue ?? message
            for list in [
                error["extensions"]?["validationErrors"], error["extensions"]?["exception"]?["validationErrors"],
            ] {
                guard case .array(let items)? = list else { continue }
                for item in items {
                    guard let property = item["property"]?.stringValue else { continue }
                    var said: [String] = []
                    if case .object(let constraints)? = item["constraints"] {
                        said = constraints.keys.sorted().compactMap { constraints[$0]?.stringValue }
                    }
                    blame(property, said.isEmpty ? words : said.joined(separator: "; "))
                }
            }
            for pattern in [
                #"at "input\.([A-Za-z0-9_]+)"#,
                #"Field "([A-Za-z0-9_]+)" is not defined by type "Issue(?:Create|Update)Input""#,
                #"Field "Issue(?:Create|Update)Input\.([A-Za-z0-9_]+)""#,
            ] {
                if let field = firstGroup(pattern, in: message) { blame(field, words) }
            }
            if let entity = firstGroup(#"^Entity not found: ([A-Za-z]+)"#, in: message) {
                let name = entity.hasPrefix("Issue") && entity.count > 5 ? String(entity.dropFirst(5)) : entity
                let stem = (name.first?.lowercased() ?? "") + name.dropFirst()
                for field in [stem + "Id", stem + "Ids"] { blame(field, words) }
            }
            for text in [words, message] {
                if let first = text.split(separator: " ").first, text.count > first.count {
                    blame(String(first), words)
                }
            }
        }
        return problems.isEmpty ? nil : problems
    }

    private static func firstGroup(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}
