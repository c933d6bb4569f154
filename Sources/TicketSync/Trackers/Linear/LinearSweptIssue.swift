import Foundation
import TicketSyncPlatform

/// An issue as a sweep read it (`LinearDocument.sweptIssueFields`), made the shared `SweptTicket`.
enum LinearSweptIssue {
    /// How each comment Ticket Sync pushes ends (`LinearProvider.commentInput`).
    static let signature = ", via Ticket Sync"

    /// One page of an issue's comments and the cursor of the next (nil on the last).
    static func commentPage(_ issue: JSONValue) -> (comments: [JSONValue], next: String?)? {
        guard case .array(let nodes)? = issue["comments"]?["nodes"] else { return nil }
        let info = issue["comments"]?["pageInfo"]
        return (nodes, info?["hasNextPage"] == .bool(true) ? info?["endCursor"]?.stringValue : nil)
    }

    /// The ticket: in the trash → deleted; otherwise its state (Linear's type gives the category) at the issue's
    /// `updatedAt`, and the comments written on Linear, oldest first. `externalID` is the link's, when known (an
    /// issue moved to another team has a new identifier). Nil when the node lacks what a ticket needs.
    static func ticket(_ issue: JSONValue, comments: [JSONValue], externalID: ExternalTicketID? = nil) -> SweptTicket? {
        guard let identifier = externalID ?? issue["identifier"]?.stringValue.map({ ExternalTicketID($0) }),
            let updated = issue["updatedAt"]?.stringValue.flatMap(TrackerTime.milliseconds)
        else { return nil }
        // Linear's delete moves an issue to the trash (purged later); an archived issue is still there.
        if issue["trashed"] == .bool(true) {
            return SweptTicket(externalID: identifier, changedAt: updated, deleted: true)
        }
        guard let name = issue["state"]?["name"]?.stringValue, let type = issue["state"]?["type"]?.stringValue else {
            return nil
        }
        // `updatedAt`, not `completedAt`/`startedAt`: those keep the first move into a type, so a move between two
        // states of one type would look older than the status it replaces.
        let status = TrackerStatusChange(
            name: String(name.prefix(255)), category: LinearWebhook.category(type: type),
            state: String(type.prefix(64)),
            milliseconds: updated, actor: nil)
        let read = comments.compactMap { comment($0, fallback: updated) }
        let theirs = read.filter { !$0.ours }.sorted { $0.at < $1.at }.map(\.comment)
        return SweptTicket(
            externalID: identifier, status: status, comments: theirs,
            changedAt: read.map(\.at).reduce(updated, max))
    }

    /// A comment, when it has an id and a body; `ours` when the API key's own account wrote it with the signature
    /// our pushes carry (a person using that account writes without it, and is kept).
    static func comment(_ node: JSONValue, fallback: Int64) -> (
        comment: InboundEvent.ExternalComment, at: Int64, ours: Bool
    )? {
        guard let id = node["id"]?.stringValue, let body = node["body"]?.stringValue else { return nil }
        let author = node["user"]?["name"]?.stringValue ?? node["botActor"]?["name"]?.stringValue ?? "Linear"
        let at = node["createdAt"]?.stringValue.flatMap(TrackerTime.milliseconds) ?? fallback
        let ours =
            node["user"]?["isMe"] == .bool(true)
            && body.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(signature)
        return (
            InboundEvent.ExternalComment(
                externalCommentID: id,
                author: String(author.prefix(InboundEvent.maxAuthorLength)), body: body),
            at, ours
        )
    }
}
