import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// TICKET_FIELDS and TICKET_ASSIGNEE: the deployment default's mapping and assignee, checked as a connection's are;
/// an unusable one stops the start, naming it.
struct SettingsFieldsTests {
    @Test func theDefaultsMappingAndAssigneeReachItsTrackerConfiguration() {
        let settings = Settings(environment: [
            "TICKET_PROVIDER": "jira",
            "TICKET_FIELDS": #"{"priority": {"name": "High"}, "duedate": "{{request.due_date}}"}"#,
            "TICKET_ASSIGNEE": "account:abc-123",
        ])
        #expect(settings.errors.isEmpty)
        let config = TrackerConfig.deployment(settings, kind: .jira)
        #expect(config.fields.fields["priority"] == .object(["name": .string("High")]))
        #expect(config.assignee == .account("abc-123"))
        #expect(TrackerConfig.deployment(Settings(environment: [:]), kind: .mock).fields == .empty)
    }

    @Test func anUnusableMappingOrAssigneeStopsTheStartNamingIt() {
        let owned = Settings(environment: ["TICKET_PROVIDER": "jira", "TICKET_FIELDS": #"{"summary": "x"}"#])
        #expect(owned.errors.contains { $0.hasPrefix("TICKET_FIELDS:") && $0.contains("summary") })
        let unknown = Settings(environment: ["TICKET_FIELDS": #"{"x": "{{request.owner}}"}"#])
        #expect(unknown.errors.contains { $0.hasPrefix("TICKET_FIELDS:") && $0.contains("request.owner") })
        #expect(Settings(environment: ["TICKET_FIELDS": "not json"]).errors.contains { $0.hasPrefix("TICKET_FIELDS:") })
        #expect(Settings(environment: ["TICKET_ASSIGNEE": "boss"]).errors.contains { $0.hasPrefix("TICKET_ASSIGNEE:") })
    }
}
