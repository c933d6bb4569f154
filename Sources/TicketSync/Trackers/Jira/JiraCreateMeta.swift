import Foundation
import TicketSyncPlatform

/// Jira's create metadata, one project at a time (the all-projects `GET /issue/createmeta` is gone from Data Center
/// 9 and deprecated on Cloud, CHANGE-1304): `GET /issue/createmeta/{project}/issuetypes` lists the project's issue
/// types, `…/issuetypes/{issueTypeId}` the fields of one, each with `required`, `hasDefaultValue` and
/// `allowedValues`. Both are pages (`startAt`, `maxResults`, `total`); Cloud names the items `issueTypes` and
/// `fields`, Data Center `values` (with `isLast`).
enum JiraCreateMeta {
    /// Pages read per list at most (50 items each): far beyond any project's issue types or create screen.
    static let maxPages = 20
    static let pageSize = 50

    /// One page: its items, and where the next starts (nil: this was the last).
    static func page(_ body: [String: JSONValue]) -> (items: [JSONValue], next: Int?)? {
        var items: [JSONValue]?
        for name in ["values", "issueTypes", "fields", "results"] {
            if case .array(let found)? = body[name] {
                items = found
                break
            }
        }
        guard let items else { return nil }
        let startAt = number(body["startAt"]) ?? 0
        let next = startAt + items.count
        if items.isEmpty || body["isLast"] == .bool(true) { return (items, nil) }
        if let total = number(body["total"]), next >= total { return (items, nil) }
        if body["total"] == nil, body["isLast"] == nil { return (items, nil) }
        return (items, next)
    }

    /// The id of the issue type named `name` (as Jira names it, case aside).
    static func issueTypeID(named name: String, in types: [JSONValue]) -> String? {
        types.first { $0["name"]?.stringValue?.lowercased() == name.lowercased() }.flatMap {
            JiraProvider.identifier($0["id"])
        }
    }

    /// The fields Jira requires on create and fills in no default for, with the names (or values) it allows.
    static func required(_ fields: [JSONValue]) -> [RequiredField] {
        fields.compactMap { field in
            guard field["required"] == .bool(true), field["hasDefaultValue"] != .bool(true),
                let id = field["fieldId"]?.stringValue ?? field["key"]?.stringValue
            else { return nil }
            var allowed: [String] = []
            if case .array(let values)? = field["allowedValues"] {
                allowed = values.compactMap {
                    $0["name"]?.stringValue ?? $0["value"]?.stringValue ?? $0["key"]?.stringValue
                        ?? JiraProvider.identifier($0["id"])
                }
            }
            return RequiredField(id: id, name: field["name"]?.stringValue ?? id, allowedValues: allowed)
        }
    }

    private static func number(_ value: JSONValue?) -> Int? {
        switch value {
        case .int(let number)?: number
        case .number(let number)?: Int(exactly: number)
        default: nil
        }
    }
}

extension JiraProvider {
    /// The preflight: the project's issue types, the one named by `issue_type`, then its fields; every required
    /// field without a default. A call that fails is the failed `createmeta` step; an issue type the project does not
    /// have is one too (`not-found`), since every create would be refused.
    public func requiredFields() -> RequiredFieldsRead? {
        let project = Self.escaped(projectKey)
        let types: [JSONValue]
        switch pages("/issue/createmeta/\(project)/issuetypes") {
        case .success(let read): types = read
        case .failure(let failed): return .failed(Self.createmetaStep(failed.result))
        }
        guard let typeID = JiraCreateMeta.issueTypeID(named: settings.issueType, in: types) else {
            return .failed(ConnectionCheck.Step(name: "createmeta", ok: false, error: "not-found", status: nil))
        }
        switch pages("/issue/createmeta/\(project)/issuetypes/\(Self.escaped(typeID))") {
        case .success(let fields): return .read(JiraCreateMeta.required(fields))
        case .failure(let failed): return .failed(Self.createmetaStep(failed.result))
        }
    }

    /// A failed read as the connection test's step: a 2xx that is no createmeta page is an unexpected response.
    static func createmetaStep(_ result: OutboundResult) -> ConnectionCheck.Step {
        ConnectionCheck.step("createmeta", result) { $0.flatMap(JiraCreateMeta.page) != nil }
    }

    /// Every item of a paged createmeta list, `startAt` by `startAt`.
    private func pages(_ path: String) -> Result<[JSONValue], FailedCall> {
        var items: [JSONValue] = []
        var startAt = 0
        for _ in 0..<JiraCreateMeta.maxPages {
            let result = call(
                "GET", "\(path)?startAt=\(startAt)&maxResults=\(JiraCreateMeta.pageSize)", timeouts: timeouts)
            guard let status = result.status, (200..<300).contains(status), let body = result.jsonObject,
                let page = JiraCreateMeta.page(body)
            else { return .failure(FailedCall(result: result)) }
            items += page.items
            guard let next = page.next else { break }
            startAt = next
        }
        return .success(items)
    }
}
