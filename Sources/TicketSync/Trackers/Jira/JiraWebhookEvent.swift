import TicketSyncPlatform

/// The parts of Jira's own `comment_created` webhook that Ticket Sync uses. Bodies arrive in the v2 form (a string),
/// but an Atlassian Document Format body is accepted too (its text nodes, paragraph by paragraph).
struct JiraCommentCreated: Equatable {
    var commentID: String
    var body: String
    var authorName: String
    var author: JSONValue?
    /// `issue.key`, when the payload has `issue`.
    var issueKey: String?
    /// The numeric issue id from `comment.self` (`…/rest/api/2/issue/{id}/comment/{commentId}`).
    var issueID: String?

    /// A `comment` object of a `comment_created` or `jira:issue_updated` payload; 422 naming the field when it lacks
    /// what is needed.
    static func decode(comment value: JSONValue?, payload members: [String: JSONValue]) throws -> JiraCommentCreated {
        guard case .object(let comment)? = value else {
            throw APIError.invalidField("comment", "`comment` must be an object.")
        }
        guard let commentID = JiraProvider.identifier(comment["id"]) else {
            throw APIError.invalidField("comment.id", "`comment.id` is required.")
        }
        let body = try CommentText.validated(comment["body"].map(plainText), field: "comment.body")
        let author = comment["author"]
        let issueKey = members["issue"]?["key"]?.stringValue
        let issueID =
            comment["self"]?.stringValue.flatMap(issueID(fromCommentURL:))
            ?? members["issue"].flatMap { JiraProvider.identifier($0["id"]) }
        guard issueKey != nil || issueID != nil else {
            throw APIError.invalidField("issue.key", "The payload names no issue (`issue.key` or `comment.self`).")
        }
        let name = author?["displayName"]?.stringValue ?? author?["name"]?.stringValue ?? "Jira user"
        return JiraCommentCreated(
            commentID: commentID, body: body, authorName: name, author: author,
            issueKey: issueKey, issueID: issueID)
    }

    static func issueID(fromCommentURL url: String) -> String? {
        let parts = url.split(separator: "/")
        guard let index = parts.lastIndex(of: "comment"), index >= 2, parts[index - 2] == "issue" else { return nil }
        let id = parts[index - 1]
        return id.allSatisfy(\.isNumber) ? String(id) : nil
    }

    /// A string stays as it is; an ADF document becomes its text, one line per block (`JiraADF`).
    static func plainText(_ value: JSONValue) -> JSONValue {
        JiraADF.plainText(value).map(JSONValue.string) ?? value
    }
}
