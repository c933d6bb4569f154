import Foundation
import TicketSyncPlatform

/// Linear through its GraphQL API. external_id is the issue's identifier (GRC-12), external_ref its UUID, which
/// Ticket Sync chose (`LinearID`), so that a retried create finds the issue its first attempt made.
struct LinearProvider: TicketProvider {
    let kind = ProviderKind.linear
    let client: LinearGraphQL
    let teamID: String
    let timeouts: HTTPTimeouts
    /// The team's done state, remembered per connection (and team).
    let states: LinearStateCache
    let linkBack: @Sendable (EvidenceRequest) -> String?
    /// `settings.fields`: read again at delivery, for the fields a due-date change updates.
    var mapping = FieldMapping.empty

    static let failure = TrackerFailure(
        tracker: "Linear", credentialStatuses: [401, 403], details: LinearGraphQL.errorText)

    /// `issueCreate` with the id derived from the creation key, the mapped input fields (`draft.fields`; the owned
    /// `teamId` and `id` are always ours) and the assignee as `assigneeId`. On a resumed create, `issue(id:)` first:
    /// an issue an earlier attempt made is returned instead of a second one (Linear reads what it wrote: no lag). A
    /// create that Linear refuses is looked up too before it fails: Linear refuses an id it already has, so a create
    /// that raced another attempt of the same key finds that attempt's issue. A refusal that blames mapped fields is
    /// `fieldsRefused` (422).
    func createTicket(_ draft: TicketDraft, key: CreationKey) throws -> CreatedTicket {
        let id = LinearID.issue(key)
        if key.resumed, let existing = try findIssue(id: id) { return existing }
        let result = client.send(
            LinearDocument.issueCreate, ["input": .object(Self.createInput(draft, id: id, team: teamID, linkBack))],
            timeouts: timeouts)
        if let issue = LinearGraphQL.data(result, "issueCreate")?["issue"], let ticket = ticket(issue) {
            return ticket
        }
        // A refusal (Linear refuses an id it has) or an answer without a usable issue: the issue may exist anyway.
        let answered = result.status.map { (200..<300).contains($0) } ?? false
        if result.status == 400 || answered, let existing = try? findIssue(id: id) { return existing }
        var error = Self.failure(blaming: Set(draft.fields.keys)).apiError(result, action: "create the issue")
        if answered { error.outcomeUnknown = true }  // it said yes without the issue: keep the reservation, look it up
        throw error
    }

    static func issueInput(
        _ request: EvidenceRequest, id: String, team: String, _ linkBack: (EvidenceRequest) -> String?
    ) -> [String: JSONValue] {
        var description = request.description
        if let link = linkBack(request) {
            description += (description.isEmpty ? "" : "\n\n") + "Evidence request: \(link)"
        }
        return [
            "id": .string(id), "teamId": .string(team), "title": .string(String(request.title.prefix(255))),
            "description": .string(description),
        ]
    }

    /// `issue(id:)`: nil when Linear has no such issue. Any other failure stops the create.
    func findIssue(id: String) throws -> CreatedTicket? {
        let result = client.send(LinearDocument.issue, ["id": .string(id)], timeouts: timeouts)
        if LinearGraphQL.notFound(result) { return nil }
        guard let issue = LinearGraphQL.data(result, "issue") else {
            throw Self.failure.apiError(result, action: "look for the issue this create already made").lookupOnly
        }
        if issue == .null { return nil }
        guard let ticket = ticket(issue) else {
            throw Self.failure.apiError(result, action: "read the issue this create already made").lookupOnly
        }
        return ticket
    }

    func ticket(_ issue: JSONValue) -> CreatedTicket? {
        guard let id = issue["id"]?.stringValue, let identifier = issue["identifier"]?.stringValue else { return nil }
        return CreatedTicket(
            provider: kind.rawValue, externalID: ExternalTicketID(identifier), externalURL: issue["url"]?.stringValue,
            externalRef: id)
    }

    func deliver(_ event: OutboxEvent, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        guard let issueID = event.externalRef else {
            return .giveUp(reason: "the link has no Linear issue id", status: nil)
        }
        switch event.eventType {
        case .comment: return comment(event, issueID: issueID, timeouts: timeouts)
        case .close: return close(issueID: issueID, timeouts: timeouts)
        case .create: return .giveUp(reason: "ticket.create is never queued", status: nil)
        case .update: return updateDueDate(event, issueID: issueID, timeouts: timeouts)
        }
    }

    /// `commentCreate` with an id derived from the event: a retry whose first attempt's answer was lost finds that
    /// comment (`comment(id:)`) instead of posting it twice, and an inbound webhook of our own comment is recognised
    /// by its id.
    private func comment(_ event: OutboxEvent, issueID: String, timeouts: HTTPTimeouts) -> DeliveryOutcome {
        let id = LinearID.comment(eventID: event.eventID)
        if event.attempts > 1 {
            let found = client.send(LinearDocument.comment, ["id": .string(id)], timeouts: timeouts)
            if let comment = LinearGraphQL.data(found, "comment"), comment["id"]?.stringValue == id {
                return .delivered(externalCommentID: id, echo: nil)
            }
            if !LinearGraphQL.notFound(found), LinearGraphQL.data(found, "comment") == nil {
                return Self.failure.outcome(found)
            }
        }
        let result = client.send(
            LinearDocument.commentCreate,
            ["input": .object(Self.commentInput(event, id: id, issueID: issueID))], timeouts: timeouts)
        guard LinearGraphQL.data(result, "commentCreate")?["success"] == .bool(true) else {
            return Self.failure.outcome(result)
        }
        return .delivered(externalCommentID: id, echo: nil)
    }

    static func commentInput(_ event: OutboxEvent, id: String, issueID: String) -> [String: JSONValue] {
        let comment = event.payload["comment"]
        let text = comment?["body"]?.stringValue ?? ""
        let author = comment?["author"]?.stringValue ?? "Ticket Sync"
        let body = "\(text)\n\n— \(author)\(LinearSweptIssue.signature)"
        return ["id": .string(id), "issueId": .string(issueID), "body": .string(body)]
    }

    /// `issueUpdate` into the team's first `completed` state.
    /// A remembered state Linear refuses (deleted or moved since) is forgotten and asked again, once.
    func close(issueID: String, timeouts: HTTPTimeouts, again: Bool = false) -> DeliveryOutcome {
        let remembered = states.completed != nil
        let state: String
        switch completedState(timeouts: timeouts) {
        case .success(let id): state = id
        case .failure(let failed): return failed.outcome
        }
        let result = client.send(
            LinearDocument.issueUpdate, ["id": .string(issueID), "input": .object(["stateId": .string(state)])],
            timeouts: timeouts)
        guard LinearGraphQL.data(result, "issueUpdate")?["success"] == .bool(true) else {
            if result.status == 400, remembered, !again {
                states.completed = nil
                return close(issueID: issueID, timeouts: timeouts, again: true)
            }
            return Self.failure.outcome(result)
        }
        return .delivered(externalCommentID: nil, echo: nil)
    }

    struct StateFailure: Error { let outcome: DeliveryOutcome }

    /// The team's first workflow state of type `completed` (lowest `position`), asked once per connection.
    func completedState(timeouts: HTTPTimeouts) -> Result<String, StateFailure> {
        if let known = states.completed { return .success(known) }
        let result = client.send(LinearDocument.teamStates, ["id": .string(teamID)], timeouts: timeouts)
        guard let team = LinearGraphQL.data(result, "team") else {
            return .failure(StateFailure(outcome: Self.failure.outcome(result)))
        }
        guard let state = Self.firstCompleted(team) else {
            return .failure(
                StateFailure(
                    outcome: .giveUp(
                        reason: "Linear team \(teamID) has no workflow state of type completed", status: nil)))
        }
        states.completed = state
        return .success(state)
    }

    static func firstCompleted(_ team: JSONValue) -> String? {
        guard case .array(let nodes)? = team["states"]?["nodes"] else { return nil }
        func position(_ node: JSONValue) -> Double {
            switch node["position"] {
            case .int(let value)?: Double(value)
            case .number(let value)?: value
            default: .infinity
            }
        }
        return nodes.filter { $0["type"]?.stringValue == "completed" }.min { position($0) < position($1) }?["id"]?
            .stringValue
    }

    /// The key's account (`viewer`), then the team issues go to.
    func checkConnection() -> [ConnectionCheck.Step] {
        let viewer = ConnectionCheck.step(
            "viewer", client.send(LinearDocument.viewer, [:], timeouts: timeouts)
        ) { $0?["data"]?["viewer"]?["id"] != nil }
        guard viewer.ok else { return [viewer] }
        let team = ConnectionCheck.step(
            "team", client.send(LinearDocument.team, ["id": .string(teamID)], timeouts: timeouts)
        ) { $0?["data"]?["team"]?["id"] != nil }
        return [viewer, team]
    }
}

/// What a process remembers of one Linear connection: its team's done state.
final class LinearStateCache: @unchecked Sendable {
    private let lock = NSLock()
    private var state: String?

    var completed: String? {
        get { lock.withLock { state } }
        set { lock.withLock { state = newValue } }
    }

    /// One per connection (or the deployment default) and version: an edited connection (another team) starts over.
    static let shared = TrackerCache<LinearStateCache>(capacity: 1000)

    static func of(_ config: TrackerConfig, team: String) -> LinearStateCache {
        shared.value(tracker: config.connectionID ?? "environment", version: "\(config.version) \(team)") {
            LinearStateCache()
        }
    }
}
