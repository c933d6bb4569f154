import Foundation
import TicketSyncPlatform

/// How a ServiceNow table is swept (docs/trackers/servicenow.md, "Sweeps"): the Table API lists the records of ours
/// (`correlation_id` starting with our creation-key prefix) updated since the cursor, oldest first, a page at a time
/// by the answer's `Link: rel="next"`; their comments come from `sys_journal_field`. It only reads.
struct ServiceNowSweeper: TicketSweeper {
    let provider: ServiceNowProvider

    /// Records per page of changes.
    static let pageSize = 100
    /// Journal entries per call, and calls for the comments of one page of records (or of one record) at most.
    static let journalPageSize = 500
    static let journalPages = 10
    /// What every creation key starts with (`ticketsync-<link id>`, the record's `correlation_id`).
    static let correlationPrefix = CreationKey(linkID: "").text
    /// The record's fields a sweep reads. `sysparm_display_value=all` answers each as `{value, display_value}`:
    /// times and ids are read from `value` (UTC, `yyyy-MM-dd HH:mm:ss`; display values are in the account's time
    /// zone), the state's name from `display_value` ("Resolved", as the Business Rule sends it).
    static let recordFields = "sys_id,number,state,sys_updated_on,sys_created_by"

    func changes(since: Int64, page: String?) throws -> SweepPage {
        let action = "read the changed \(provider.settings.table) records"
        let read: Page
        if let page {
            read = try self.page(relative: page, under: provider.tablePath, action: action)
        } else {
            read = try self.page(
                provider.tablePath,
                query: [
                    URLQueryItem(
                        name: "sysparm_query",
                        value: "correlation_idSTARTSWITH\(Self.correlationPrefix)^sys_updated_on>="
                            + "\(Self.glideTime(since))^ORDERBYsys_updated_on^ORDERBYsys_id"),
                    URLQueryItem(name: "sysparm_fields", value: Self.recordFields),
                    URLQueryItem(name: "sysparm_display_value", value: "all"),
                    URLQueryItem(name: "sysparm_limit", value: String(Self.pageSize)),
                ], action: action)
        }
        let records = read.rows.compactMap(Record.init)
        // The comments of the page's records written since the cursor, in one query (none without records).
        let comments =
            records.isEmpty
            ? []
            : try journal(
                "element=comments^element_idIN\(records.map(\.sysID).joined(separator: ","))"
                    + "^sys_created_on>=\(Self.glideTime(since))")
        return SweepPage(
            tickets: records.map { record in
                record.swept(
                    externalID: record.number,
                    comments: comments.filter { $0.elementID == record.sysID }.compactMap(record.comment))
            }, next: read.next)
    }

    /// `GET /api/now/table/{table}/{sys_id}` (404: deleted, or no longer readable by the account), then all its
    /// comment journal entries. A link without a sys_id is found by its number.
    func lookup(_ link: TicketLink) throws -> SweptTicket {
        let action = "read \(link.externalID)"
        let fields = [
            URLQueryItem(name: "sysparm_fields", value: Self.recordFields),
            URLQueryItem(name: "sysparm_display_value", value: "all"),
        ]
        let row: JSONValue?
        if let sysID = link.externalRef {
            let result = provider.call(
                "GET", "\(provider.tablePath)/\(sysID)", query: fields, timeouts: provider.timeouts)
            if result.status == 404 { return .gone(link.externalID) }
            guard let status = result.status, (200..<300).contains(status) else {
                throw ServiceNowProvider.failure.apiError(result, action: action).lookupOnly
            }
            row = result.jsonObject?["result"]
        } else {
            row = try page(
                provider.tablePath,
                query: [URLQueryItem(name: "sysparm_query", value: "number=\(link.externalID)")] + fields
                    + [URLQueryItem(name: "sysparm_limit", value: "1")], action: action
            ).rows.first
            if row == nil { return .gone(link.externalID) }
        }
        guard let row, let record = Record(row) else {
            throw TrackerError(
                tracker: "ServiceNow", action: action,
                reason: .failed("the answer has no record with a sys_id and a number"))
        }
        let comments = try journal("element=comments^element_id=\(record.sysID)")
        return record.swept(externalID: link.externalID.rawValue, comments: comments.compactMap(record.comment))
    }

    /// The comment journal entries matching `filter`, oldest first, over up to `journalPages` pages. An account that
    /// may not read `sys_journal_field` (403) sweeps states only: no comments, said once in the log.
    private func journal(_ filter: String) throws -> [JournalEntry] {
        let path = "/api/now/table/sys_journal_field"
        let action = "read the comments (sys_journal_field)"
        var entries: [JournalEntry] = []
        let first = provider.call(
            "GET", path,
            query: [
                URLQueryItem(name: "sysparm_query", value: "\(filter)^ORDERBYsys_created_on^ORDERBYsys_id"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id,element_id,value,sys_created_on,sys_created_by"),
                URLQueryItem(name: "sysparm_display_value", value: "false"),
                URLQueryItem(name: "sysparm_limit", value: String(Self.journalPageSize)),
            ], timeouts: provider.timeouts)
        if first.status == 403 {
            LogOnce.shared.warning(
                "ServiceNow: cannot read sys_journal_field (HTTP 403); sweeps repair states, not comments")
            return []
        }
        var read = try page(first, action: action)
        entries += read.rows.compactMap(JournalEntry.init)
        var pages = 1
        while let next = read.next, pages < Self.journalPages {
            read = try page(relative: next, under: path, action: action)
            entries += read.rows.compactMap(JournalEntry.init)
            pages += 1
        }
        return entries
    }
}

extension ServiceNowProvider {
    public func sweeper(reading db: PGConnection) -> (any TicketSweeper)? { ServiceNowSweeper(provider: self) }
}
