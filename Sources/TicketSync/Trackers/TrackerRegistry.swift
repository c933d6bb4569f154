/// Every tracker Ticket Sync speaks. Adding one is a folder under `Trackers/` and a line here (and a migration only
/// if it needs a table of its own).
enum Trackers {
    static let all: [any Tracker.Type] = [
        MockTracker.self,
        WebhookTracker.self,
        JiraTracker.self,
        JiraCloudTracker.self,
        ServiceNowTracker.self,
        LinearTracker.self,
    ]
}
