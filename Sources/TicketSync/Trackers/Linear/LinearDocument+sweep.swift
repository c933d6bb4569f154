import TicketSyncPlatform

/// The documents a sweep sends (docs/trackers/linear.md, "Sweep"), and their variables.
extension LinearDocument {
    /// The fields of an issue a sweep reads: its state (name and type), when it last changed, whether it is in the
    /// trash, and a page of its comments (`$comments` narrows them) with who wrote each, so ours can be told apart.
    static func sweptIssueFields(comments: String) -> String {
        "id identifier updatedAt trashed state { name type } comments(filter: $comments, \(comments)) "
            + "{ nodes { id body createdAt user { name isMe } botActor { name } } pageInfo { hasNextPage endCursor } }"
    }

    /// The team's issues changed at or after the cursor (or with a comment made since), a page of 50, walked from the
    /// oldest change: Linear lists `orderBy: updatedAt` most recent first, so `last`/`before` reads it backwards.
    /// 20 comments an issue (the rest by `sweepIssue`): Linear multiplies a nested connection's cost by its page
    /// sizes and refuses a query above 10,000 points, which 50 × 50 would come close to.
    static let sweepIssues =
        "query SweepIssues($filter: IssueFilter!, "  // trap-safe: GraphQL text
        + "$comments: CommentFilter, $before: String) "
        + "{ issues(filter: $filter, orderBy: updatedAt, last: 50, before: $before) "
        + "{ nodes { \(sweptIssueFields(comments: "first: 20")) } pageInfo { hasPreviousPage startCursor } } }"

    /// One issue by its id (the link's reference), with a page of its comments (`$commentsAfter` for the next).
    static let sweepIssue =
        "query SweepIssue($id: String!, $comments: CommentFilter, $commentsAfter: String) "  // trap-safe: GraphQL text
        + "{ issue(id: $id) { \(sweptIssueFields(comments: "first: 50, after: $commentsAfter")) } }"

    /// `team = <team> AND (updatedAt >= since OR a comment created >= since)`: a new comment need not change its
    /// issue's `updatedAt` (Linear's "meaningfully updated"), so comments are asked for on their own.
    static func sweepFilter(team: String, since: String) -> JSONValue {
        let atOrAfter: JSONValue = .object(["gte": .string(since)])
        return .object([
            "and": .array([
                .object(["team": .object(["id": .object(["eq": .string(team)])])]),
                .object([
                    "or": .array([
                        .object(["updatedAt": atOrAfter]),
                        .object(["comments": .object(["some": .object(["createdAt": atOrAfter])])]),
                    ])
                ]),
            ])
        ])
    }

    /// Only the comments made at or after `since`.
    static func commentFilter(since: String) -> JSONValue {
        .object(["createdAt": .object(["gte": .string(since)])])
    }
}
