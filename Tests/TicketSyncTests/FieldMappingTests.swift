import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The field mapping: checked whole when saved (placeholders, owned fields, size), rendered per ticket.
struct FieldMappingTests {
    private func parse(_ text: String, owned: [String] = ["summary"], dueDate: Bool = true) throws -> FieldMapping {
        try FieldMapping.parse(
            try JSONParser.parse(Array(text.utf8)), owned: owned, dueDate: dueDate, field: "settings.fields")
    }

    private func field(of error: any Error) -> String? {
        (error as? APIError)?.problem.extensions["field"]?.stringValue
    }

    private let values = FieldValues(
        request: EvidenceRequest(
            id: "r-1", orgID: "o-1", title: "SOC 2 access review", description: "Q3 export", status: .open,
            dueDate: "2026-12-31"),
        url: "https://grc.example/orgs/o-1/evidence-requests/r-1", orgName: "Acme", userEmail: "ann@acme.example",
        userName: "Ann")

    @Test func everyPlaceholderRendersAndTextAroundThemIsKept() throws {
        let mapping = try parse(
            """
            {"customfield_1": "{{ request.title }} for {{org.name}}", "labels": ["grc", "{{request.id}}"],
             "reporter": {"email": "{{user.email}}", "name": "{{user.name}}"}, "link": "{{request.url}}",
             "body": "{{request.description}}", "duedate": "{{request.due_date}}", "priority": {"id": "2"}, "n": 3}
            """)
        let out = mapping.rendered(values, dueDateField: "duedate")
        #expect(out["customfield_1"] == .string("SOC 2 access review for Acme"))
        #expect(out["labels"] == .array([.string("grc"), .string("r-1")]))
        #expect(out["reporter"] == .object(["email": .string("ann@acme.example"), "name": .string("Ann")]))
        #expect(out["link"] == .string("https://grc.example/orgs/o-1/evidence-requests/r-1"))
        #expect(out["body"] == .string("Q3 export"))
        #expect(out["duedate"] == .string("2026-12-31"))
        #expect(out["priority"] == .object(["id": .string("2")]))
        #expect(out["n"].map { $0.text } == "3")  // a number goes out as written
    }

    @Test func aFieldThatIsOnlyAMissingValueIsLeftOut() throws {
        var request = values
        request.request.dueDate = nil
        request.url = nil
        let out = try parse(
            #"{"duedate": "{{request.due_date}}", "link": "{{request.url}}", "x": "due {{request.due_date}}"}"#
        )
        .rendered(request, dueDateField: "duedate")
        #expect(out["duedate"] == nil && out["link"] == nil)
        #expect(out["x"] == .string("due "))
    }

    @Test func theTrackersDueDateFieldGetsTheDueDateUnlessTheMappingSetsIt() throws {
        #expect(FieldMapping.empty.rendered(values, dueDateField: "duedate") == ["duedate": .string("2026-12-31")])
        #expect(FieldMapping.empty.rendered(values, dueDateField: nil) == [:])
        let fixed = try parse(#"{"duedate": "2027-01-01"}"#)
        #expect(fixed.rendered(values, dueDateField: "duedate") == ["duedate": .string("2027-01-01")])
        #expect(fixed.dueDateTargets(dueDateField: "duedate") == [])
        #expect(FieldMapping.empty.dueDateTargets(dueDateField: "duedate") == ["duedate"])
        let custom = try parse(#"{"customfield_9": "{{request.due_date}}", "note": "by {{request.due_date}}"}"#)
        #expect(custom.dueDateTargets(dueDateField: "duedate") == ["customfield_9", "duedate"])
    }

    @Test func unknownPlaceholdersOwnedFieldsAndBadShapesAreRefusedNamingTheField() throws {
        do {
            _ = try parse(#"{"customfield_1": "{{request.owner}}"}"#)
            Issue.record("accepted an unknown placeholder")
        } catch { #expect(field(of: error) == "settings.fields.customfield_1") }
        do {
            _ = try parse(#"{"summary": "x"}"#)
            Issue.record("accepted an owned field")
        } catch { #expect(field(of: error) == "settings.fields.summary") }
        do {
            _ = try parse(#"{"duedate": "{{request.due_date}}"}"#, dueDate: false)
            Issue.record("accepted the due date without the column")
        } catch {
            #expect(field(of: error) == "settings.fields.duedate")
            #expect((error as? APIError)?.problem.detail.contains("no due_date column") == true)
        }
        #expect(throws: APIError.self) { try parse(#"["priority"]"#) }
        #expect(throws: APIError.self) { try parse(#"{"bad name": 1}"#) }
        let many = "{" + (0...FieldMapping.maxFields).map { "\"f\($0)\": 1" }.joined(separator: ",") + "}"
        #expect(throws: APIError.self) { try parse(many) }
    }

    @Test func aStoredMappingReadsBackAndACorruptOneIsAnError() throws {
        let mapping = try parse(#"{"labels": ["a"], "priority": {"name": "High"}}"#)
        #expect(try FieldMapping.stored(mapping.text, field: "settings.fields") == mapping)
        #expect(try FieldMapping.stored(nil, field: "settings.fields") == .empty)
        #expect(throws: StoredValueError.self) { try FieldMapping.stored("[1]", field: "settings.fields") }
    }

    @Test func assigneeRules() {
        #expect(AssigneeRule("none") == AssigneeRule.none)
        #expect(AssigneeRule("creator") == .creator)
        #expect(AssigneeRule("account:5b10a2844c20165700ede21g") == .account("5b10a2844c20165700ede21g"))
        #expect(AssigneeRule("account:") == nil && AssigneeRule("account:a b") == nil && AssigneeRule("me") == nil)
    }

    @Test func thePreflightListsRequiredFieldsNothingSets() {
        let required = [
            RequiredField(id: "summary", name: "Summary"), RequiredField(id: "customfield_10010", name: "Team"),
            RequiredField(id: "priority", name: "Priority", allowedValues: ["High", "Low"]),
            RequiredField(id: "assignee", name: "Assignee"),
        ]
        let mapping = FieldMapping(fields: ["priority": .object(["name": .string("High")])])
        let missing = FieldPreflight.missing(required, mapping: mapping, owned: ["summary"], assignee: .none)
        #expect(missing.map(\.id) == ["customfield_10010", "assignee"])
        #expect(
            FieldPreflight.missing(required, mapping: mapping, owned: ["summary"], assignee: .creator).map(\.id)
                == ["customfield_10010"])
    }

    @Test func anUpdateEventCarriesTheDueDateToEveryTarget() {
        let event = OutboxEvent(
            id: 1, eventID: "e", orgID: "o", linkID: "l", connectionID: nil, evidenceRequestID: "r", commentID: nil,
            provider: "jira", eventType: .update, body: #"{"due_date":"2027-02-01"}"#, attempts: 1, externalID: "K-1")
        #expect(event.dueDateUpdate(.empty, dueDateField: "duedate") == ["duedate": .string("2027-02-01")])
        var cleared = event
        cleared.body = #"{"due_date":null}"#
        #expect(cleared.dueDateUpdate(.empty, dueDateField: "duedate") == ["duedate": .null])
        var comment = event
        comment.eventType = .comment
        #expect(comment.dueDateUpdate(.empty, dueDateField: "duedate") == [:])
    }
}
