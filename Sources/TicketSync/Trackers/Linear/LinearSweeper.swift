import TicketSyncPlatform

/// Linear's sweep (docs/trackers/linear.md, "Sweep"): the connection's team's issues changed since the cursor, read
/// from the oldest change on, and one issue by its id. Linear keeps no mark of ours a query can bound by (no label is
/// set at create; `creator` changes meaning when the key is replaced by another person's; a description can be
/// edited), so `changes` reports the team's changed issues and the applier passes over those no link has.
struct LinearSweeper: TicketSweeper {
    let client: LinearGraphQL
    let teamID: String
    let timeouts: HTTPTimeouts

    func changes(since: Int64, page: String?) throws -> SweepPage {
        let from = TrackerTime.iso8601(since)
        var variables: [String: JSONValue] = [
            "filter": LinearDocument.sweepFilter(team: teamID, since: from),
            "comments": LinearDocument.commentFilter(since: from),
        ]
        if let page { variables["before"] = .string(page) }
        let result = client.send(LinearDocument.sweepIssues, variables, timeouts: timeouts)
        let action = "read the team's changed issues"
        guard let issues = LinearGraphQL.data(result, "issues"), case .array(let nodes)? = issues["nodes"] else {
            throw LinearProvider.failure.apiError(result, action: action).lookupOnly
        }
        let tickets = try nodes.map { issue in
            guard let comments = try comments(of: issue, since: from, action: action),
                let ticket = LinearSweptIssue.ticket(issue, comments: comments)
            else { throw Self.unreadable(action) }
            return ticket
        }
        let info = issues["pageInfo"]
        let next = info?["hasPreviousPage"] == .bool(true) ? info?["startCursor"]?.stringValue : nil
        return SweepPage(tickets: tickets.sorted { ($0.changedAt ?? 0) < ($1.changedAt ?? 0) }, next: next)
    }

    /// `issue(id:)` by the link's reference (Linear takes the identifier too, for a link without one): not found,
    /// or in the trash, is deleted.
    func lookup(_ link: TicketLink) throws -> SweptTicket {
        let action = "look up issue \(link.externalID)"
        let result = client.send(
            LinearDocument.sweepIssue, ["id": .string(link.externalRef ?? link.externalID.rawValue)], timeouts: timeouts
        )
        if LinearGraphQL.notFound(result) { return .gone(link.externalID) }
        guard let issue = LinearGraphQL.data(result, "issue") else {
            throw LinearProvider.failure.apiError(result, action: action).lookupOnly
        }
        if issue == .null { return .gone(link.externalID) }
        guard let comments = try comments(of: issue, since: nil, action: action),
            let ticket = LinearSweptIssue.ticket(issue, comments: comments, externalID: link.externalID)
        else { throw Self.unreadable(action) }
        return ticket
    }

    /// The issue's comments: the page it came with, then the rest (`issue(id:)` with `commentsAfter`), since `since`
    /// when given. Nil when an answer has no comments where they belong.
    private func comments(of issue: JSONValue, since: String?, action: String) throws -> [JSONValue]? {
        guard var page = LinearSweptIssue.commentPage(issue) else { return nil }
        var all = page.comments
        while let after = page.next {
            guard let id = issue["id"]?.stringValue else { return nil }
            var variables: [String: JSONValue] = ["id": .string(id), "commentsAfter": .string(after)]
            if let since { variables["comments"] = LinearDocument.commentFilter(since: since) }
            let result = client.send(LinearDocument.sweepIssue, variables, timeouts: timeouts)
            let more = LinearGraphQL.data(result, "issue")
            // Deleted since its first page: what was read stands, and a look-up will find it gone.
            if more == .null || LinearGraphQL.notFound(result) { break }
            guard let more else { throw LinearProvider.failure.apiError(result, action: action).lookupOnly }
            guard let next = LinearSweptIssue.commentPage(more) else { return nil }
            page = next
            all += page.comments
        }
        return all
    }

    static func unreadable(_ action: String) -> TrackerError {
        TrackerError(
            tracker: "Linear", action: action,
            reason: .invalidAnswer(field: "issue", rule: "an issue needs its identifier, updatedAt, state and comments")
        )
    }
}

extension LinearProvider {
    func sweeper(reading db: PGConnection) -> (any TicketSweeper)? {
        LinearSweeper(client: client, teamID: teamID, timeouts: timeouts)
    }
}
