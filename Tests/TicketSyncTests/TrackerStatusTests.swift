import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Tracker status changes: the status map, Jira's issue events, the generic payload's `tracker_status`, and how a
/// mapped status meets the evidence request's current one.
@Suite struct TrackerStatusTests {
    func change(_ name: String, _ category: TrackerStatusChange.Category, state: String? = nil) -> TrackerStatusChange {
        TrackerStatusChange(name: name, category: category, state: state, milliseconds: 1, actor: nil)
    }

    @Test func theDefaultMapsOnlyDoneToSubmitted() {
        let map = StatusMap.standard
        #expect(map.status(for: change("Done", .done)) == "submitted")
        #expect(map.status(for: change("In Progress", .indeterminate)) == nil)
        #expect(map.status(for: change("To Do", .new)) == nil)
        #expect(map.text == "done=submitted")
    }

    @Test func namesWinOverStatesOverCategoriesAndKeepMeansNoChange() throws {
        let map = try StatusMap.parse("done=submitted, Accepted By Audit=accepted, 8=keep, indeterminate=in_progress")
        #expect(map.status(for: change("accepted by audit", .done)) == "accepted")
        #expect(map.status(for: change("Canceled", .done, state: "8")) == nil)
        #expect(map.status(for: change("Resolved", .done, state: "6")) == "submitted")
        #expect(map.status(for: change("Review", .indeterminate)) == "in_progress")
        #expect(try StatusMap.parse(map.text) == map)
        #expect(try StatusMap.parse("off").status(for: change("Done", .done)) == nil)
    }

    @Test(arguments: ["done", "done=finished", "=submitted", "done=submitted,done=accepted", "a=b=c"])
    func badMapsAreRefused(_ text: String) {
        #expect(throws: StatusMap.Invalid.self) { try StatusMap.parse(text) }
    }

    @Test func anAuditorsDecisionIsOnlyReplacedByAnotherDecisionTheMapNames() {
        #expect(TrackerStatusSync.target("submitted", current: .inProgress) == .submitted)
        #expect(TrackerStatusSync.target("submitted", current: .submitted) == nil)
        #expect(TrackerStatusSync.target("submitted", current: .accepted) == nil)
        #expect(TrackerStatusSync.target("in_progress", current: .rejected) == nil)
        #expect(TrackerStatusSync.target("accepted", current: .rejected) == .accepted)
        #expect(TrackerStatusSync.target(nil, current: .open) == nil)
    }

    @Test func serviceNowStatesFallIntoCategories() {
        #expect(TrackerStatusChange.serviceNowCategory(state: "1") == .new)
        #expect(TrackerStatusChange.serviceNowCategory(state: "2") == .indeterminate)
        #expect(TrackerStatusChange.serviceNowCategory(state: "3") == .indeterminate)
        for state in ["6", "7", "8"] { #expect(TrackerStatusChange.serviceNowCategory(state: state) == .done) }
    }

    @Test func trackerTimesInBothForms() {
        #expect(TrackerTime.milliseconds("2026-11-30 12:00:00") == 1_796_040_000_000)
        #expect(TrackerTime.milliseconds("2026-11-30T12:00:00Z") == 1_796_040_000_000)
        #expect(TrackerTime.milliseconds("2026-11-30T13:00:00.250+01:00") == 1_796_040_000_250)
        #expect(TrackerTime.milliseconds("yesterday") == nil)
    }

    func jira(_ text: String) throws -> JiraWebhook { try JiraWebhook.decode(JSONParser.parse(Array(text.utf8))) }

    @Test func aJiraStatusChangeCarriesTheNewStatusItsCategoryAndTime() throws {
        let event = try jira(
            #"""
            {"webhookEvent":"jira:issue_updated","timestamp":1796040000000,"user":{"displayName":"Dana"},
             "issue":{"id":"10001","key":"GRC-1","fields":{"status":{"name":"Done","statusCategory":{"key":"done"}}}},
             "changelog":{"items":[{"field":"assignee"},{"field":"status","fromString":"In Progress","toString":"Done"}]}}
            """#)
        #expect(
            event
                == .issueUpdated(
                    .init(key: "GRC-1", id: "10001"), comment: nil,
                    status: TrackerStatusChange(
                        name: "Done", category: .done, state: nil, milliseconds: 1_796_040_000_000, actor: "Dana")))
    }

    @Test func anUpdateWithoutAStatusItemChangesNoStatusButMayCarryAComment() throws {
        let event = try jira(
            #"""
            {"webhookEvent":"jira:issue_updated","timestamp":1,"issue":{"id":"10001","key":"GRC-1"},
             "changelog":{"items":[{"field":"summary"}]},
             "comment":{"id":"10100","body":"Attached","author":{"displayName":"Jane"}}}
            """#)
        guard case .issueUpdated(_, let comment?, nil) = event else {
            Issue.record("expected a comment and no status: \(event)")
            return
        }
        #expect(comment.commentID == "10100" && comment.issueKey == "GRC-1")
    }

    @Test func aStatusChangeWithoutCategoryOrTimestampIsRefused() {
        let noCategory = #"""
            {"webhookEvent":"jira:issue_updated","timestamp":1,"issue":{"key":"GRC-1","fields":{"status":{"name":"Done"}}},
             "changelog":{"items":[{"field":"status"}]}}
            """#
        let noTime = #"""
            {"webhookEvent":"jira:issue_updated","issue":{"key":"GRC-1","fields":{"status":{"name":"Done","statusCategory":{"key":"done"}}}},
             "changelog":{"items":[{"field":"status"}]}}
            """#
        #expect(throws: APIError.self) { try jira(noCategory) }
        #expect(throws: APIError.self) { try jira(noTime) }
    }

    @Test func aDeletedIssueNamesWhoDeletedIt() throws {
        let event = try jira(
            #"{"webhookEvent":"jira:issue_deleted","user":{"name":"dana"},"issue":{"id":"10001","key":"GRC-1"}}"#)
        #expect(event == .issueDeleted(.init(key: "GRC-1", id: "10001"), actor: "dana"))
    }

    @Test func theGenericPayloadsTrackerStatusTakesAServiceNowStateOrACategory() throws {
        func decode(_ text: String) throws -> TrackerStatusChange? {
            try InboundEvent.decode(JSONParser.parse(Array(text.utf8))).trackerStatus
        }
        let resolved = try decode(
            #"{"external_id":"INC1","tracker_status":{"name":"Resolved","state":"6","updated_at":"2026-11-30 12:00:00","updated_by":"abel"}}"#
        )
        #expect(resolved?.category == .done && resolved?.milliseconds == 1_796_040_000_000 && resolved?.actor == "abel")
        let reopened = try decode(
            #"{"external_id":"X","tracker_status":{"name":"Open","category":"new","updated_at":"2026-11-30T12:00:00Z"}}"#
        )
        #expect(reopened?.category == .new)
        #expect(throws: APIError.self) {
            try decode(#"{"external_id":"X","tracker_status":{"name":"Open","updated_at":"2026-11-30T12:00:00Z"}}"#)
        }
        #expect(throws: APIError.self) {
            try decode(#"{"external_id":"X","tracker_status":{"name":"Open","category":"new","updated_at":"soon"}}"#)
        }
    }
}

@Suite struct TrackerStatusEntryTests {
    @Test func theThreadEntrySaysWhatHappenedAndWho() {
        func entry(_ category: TrackerStatusChange.Category, reopens: Bool = false, actor: String? = "Dana") -> String {
            TrackerStatusChange(name: "X", category: category, state: nil, milliseconds: 1, actor: actor)
                .summary(tracker: "Jira", reopens: reopens)
        }
        #expect(entry(.done) == "Resolved in Jira by Dana (X)")
        #expect(entry(.done, actor: nil) == "Resolved in Jira (X)")
        #expect(entry(.indeterminate, reopens: true) == "Reopened in Jira by Dana (X)")
        #expect(entry(.indeterminate) == "Moved to X in Jira by Dana")
    }
}
