import Foundation
import TicketSyncPlatform

/// Jira's sweep (docs/trackers/jira.md, "Sweeps"). Changes: the project's issues labelled `ticketsync` updated since
/// the cursor (`JiraSweepQuery`), through Cloud's `POST /rest/api/3/search/jql` (token-paged, comment bodies in
/// Atlassian Document Format) or Data Center's `GET /rest/api/2/search` (`startAt`-paged, plain-text bodies), with
/// their status, `updated` time and comments. One ticket: `GET /rest/api/{3|2}/issue/{key}`; 404 means deleted.
/// Comments past those embedded in an issue are read from `/issue/{key}/comment`. Comments by the integration
/// account (`/myself`) are ours and left out.
struct JiraSweeper: TicketSweeper {
    let jira: JiraProvider

    static let fields = ["status", "updated", "comment"]
    static let pageSize = 50
    static let commentPageSize = 100
    /// Comment pages read per issue at most (10,000 comments): a bound on one issue's calls.
    static let maxCommentPages = 100

    func changes(since: Int64, page: String?) throws -> SweepPage {
        let deployment = try jira.deployment()
        let account = try jira.sweepIdentity()
        let jql = JiraSweepQuery.jql(
            project: jira.projectKey, since: since, zone: JiraSweepQuery.zone(account.timeZone))
        let api = deployment == .cloud ? 3 : 2
        let answer: [String: JSONValue]
        let next: String?
        switch deployment {
        case .cloud:
            var body: [String: JSONValue] = [
                "jql": .string(jql), "fields": .array(Self.fields.map(JSONValue.string)),
                "maxResults": .int(Self.pageSize),
            ]
            if let page { body["nextPageToken"] = .string(page) }
            answer = try read("POST", "/search/jql", .object(body), api: api, action: "search the changed issues")
            // The last page has `isLast: true` and no token (or a null one).
            next = answer["isLast"] == .bool(true) ? nil : answer["nextPageToken"]?.stringValue
        case .datacenter:
            let start = max(0, page.flatMap { Int($0) } ?? 0)
            answer = try read(
                "GET",
                "/search?jql=\(Self.query(jql))&startAt=\(start)&maxResults=\(Self.pageSize)"
                    + "&fields=\(Self.fields.joined(separator: ","))",
                api: api, action: "search the changed issues")
            let count = Self.issues(answer).count
            let total = JiraProvider.identifier(answer["total"]).flatMap { Int($0) } ?? 0
            next = count > 0 && start + count < total ? String(start + count) : nil
        }
        let tickets = try Self.issues(answer).map { issue -> SweptTicket in
            guard let key = issue["key"]?.stringValue, !key.isEmpty else {
                throw invalid("issues[].key", "each issue found must have its key")
            }
            return try ticket(issue, key: key, api: api, account: { account })
        }
        return SweepPage(tickets: tickets, next: next)
    }

    func lookup(_ link: TicketLink) throws -> SweptTicket {
        let api = try jira.deployment() == .cloud ? 3 : 2
        let result = jira.call(
            "GET", "/issue/\(JiraProvider.escaped(link.externalID.rawValue))?fields=\(Self.fields.joined(separator: ","))",
            api: api, timeouts: jira.timeouts)
        // Deleted, or no longer visible to the account: Jira answers both alike, with its ErrorCollection. A 404
        // without one (a wrong base URL, a proxy) says nothing about the issue.
        if result.status == 404, case .array? = result.jsonObject?["errorMessages"] { return .gone(link.externalID) }
        guard let status = result.status, (200..<300).contains(status), let issue = result.jsonObject else {
            throw JiraProvider.failure.apiError(result, action: "read the issue").lookupOnly
        }
        return try ticket(.object(issue), key: link.externalID.rawValue, api: api, account: { try jira.sweepIdentity() })
    }

    /// One issue as a sweep reports it; `key` as the link has it.
    private func ticket(_ issue: JSONValue, key: String, api: Int, account: () throws -> JiraIdentity) throws
        -> SweptTicket
    {
        let fields = issue["fields"]
        guard let updatedText = fields?["updated"]?.stringValue,
            let updated = JiraSweepQuery.milliseconds(updatedText)
        else { throw invalid("fields.updated", "each issue must carry its `updated` time") }
        var ticket = SweptTicket(externalID: ExternalTicketID(key), changedAt: updated)
        if let status = fields?["status"], let name = status["name"]?.stringValue, !name.isEmpty {
            // Jira's categories: new, indeterminate, done (and "undefined" for a status without one). The time is
            // the issue's last update: the status held then, so any webhook from before it is stale.
            let category =
                status["statusCategory"]?["key"]?.stringValue
                .flatMap(TrackerStatusChange.Category.init(rawValue:)) ?? .indeterminate
            ticket.status = TrackerStatusChange(
                name: String(name.prefix(255)), category: category, state: nil, milliseconds: updated, actor: nil)
        }
        let comments = try allComments(fields?["comment"], issue: key, api: api)
        if !comments.isEmpty {
            let ours = try account()
            ticket.comments = comments.compactMap { Self.external($0, ours: ours) }
        }
        return ticket
    }

    /// The issue's comments, oldest first: those embedded in it, then the rest from `/issue/{key}/comment`.
    private func allComments(_ field: JSONValue?, issue key: String, api: Int) throws -> [JSONValue] {
        guard let field else { return [] }
        var comments = Self.list(field["comments"])
        var total = JiraProvider.identifier(field["total"]).flatMap { Int($0) } ?? comments.count
        var pages = 0
        while comments.count < total, pages < Self.maxCommentPages {
            pages += 1
            let answer = try read(
                "GET",
                "/issue/\(JiraProvider.escaped(key))/comment?startAt=\(comments.count)"
                    + "&maxResults=\(Self.commentPageSize)&orderBy=created",
                api: api, action: "read the issue's comments")
            let page = Self.list(answer["comments"])
            if page.isEmpty { break }
            comments += page
            total = JiraProvider.identifier(answer["total"]).flatMap { Int($0) } ?? total
        }
        return comments
    }

    /// A comment written on Jira, unless it is the integration account's (ours) or has no text.
    static func external(_ comment: JSONValue, ours: JiraIdentity) -> InboundEvent.ExternalComment? {
        guard let id = JiraProvider.identifier(comment["id"]), !ours.matches(comment["author"]) else { return nil }
        let body = comment["body"].flatMap { JiraADF.plainText($0) ?? $0.stringValue } ?? ""
        let kept = body.unicodeScalars.filter { $0 != "\u{0}" }.prefix(Comment.maxBodyLength)
        let text = String(String.UnicodeScalarView(kept))
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        let author = comment["author"]
        let name = author?["displayName"]?.stringValue ?? author?["name"]?.stringValue ?? "Jira user"
        return InboundEvent.ExternalComment(
            externalCommentID: id, author: String(name.prefix(InboundEvent.maxAuthorLength)), body: text)
    }

    private func read(_ method: String, _ path: String, _ body: JSONValue? = nil, api: Int, action: String) throws
        -> [String: JSONValue]
    {
        let result = jira.call(method, path, body, api: api, timeouts: jira.timeouts)
        guard let status = result.status, (200..<300).contains(status), let answer = result.jsonObject else {
            throw JiraProvider.failure.apiError(result, action: action).lookupOnly
        }
        return answer
    }

    private static func issues(_ answer: [String: JSONValue]) -> [JSONValue] { list(answer["issues"]) }

    private static func list(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let items)? = value { return items }
        return []
    }

    private static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.")))
            ?? text
    }

    private func invalid(_ field: String, _ rule: String) -> TrackerError {
        TrackerError(
            tracker: "Jira", action: "read the changed issues", reason: .invalidAnswer(field: field, rule: rule))
    }
}

extension JiraProvider {
    /// The integration account for a sweep: the one this process knows, else asked now (a sweep runs on a delivery
    /// loop, not a request thread, and must see why `/myself` failed: a 429's Retry-After backs it off).
    func sweepIdentity() throws -> JiraIdentity {
        if let known = identityCache.known { return known }
        switch fetchIdentity() {
        case .success(let identity):
            identityCache.remember(identity)
            return identity
        case .failure(let failed):
            throw Self.failure.apiError(failed.result, action: "read the integration account (/myself)").lookupOnly
        }
    }
}
