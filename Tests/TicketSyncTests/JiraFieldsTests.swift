import Foundation
import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Jira's part of ticket fields (issue 23): the create metadata read page by page into required fields, a 400's
/// ErrorCollection read as field refusals, the issue's fields (labels added to ours, the assignee per deployment),
/// the assignee found by e-mail, and a changed due date pushed with `PUT /issue/{key}`.
struct JiraFieldsTests {
    static let timeouts = HTTPTimeouts(connect: 1, total: 1)

    func provider(
        _ http: RecordingHTTP, deployment: JiraDeployment? = .cloud, cloud: Bool = false,
        mapping: FieldMapping = .empty
    ) throws -> JiraProvider {
        var settings = Settings(environment: [:]).jira
        settings.deployment = deployment
        return JiraProvider(
            settings: settings, baseURL: try #require(URL(string: "https://grc.atlassian.net")), apiToken: "t",
            projectKey: "GRC", http: http, timeouts: Self.timeouts, identityCache: JiraIdentityCache(),
            deploymentCache: JiraDeploymentCache(), cloudSearchLagSeconds: 60, linkBack: { _ in nil },
            cloudSite: cloud ? JiraCloudSite(siteURL: try #require(URL(string: "https://grc.atlassian.net"))) : nil,
            fieldMapping: mapping)
    }

    static func json(_ text: String, status: Int = 200) -> OutboundResult {
        .response(status: status, headers: [:], body: Array(text.utf8))
    }

    static func object(_ text: String) throws -> [String: JSONValue] {
        guard case .object(let members) = try JSONParser.parse(Array(text.utf8)) else { throw CancellationError() }
        return members
    }

    // MARK: createmeta

    @Test func cloudAndDataCenterPagesAreFollowedToTheirEnd() throws {
        let first = try #require(
            JiraCreateMeta.page(try Self.object(#"{"issueTypes":[{"id":"1"},{"id":"2"}],"startAt":0,"total":3}"#)))
        #expect(first.items.count == 2 && first.next == 2)
        let last = try #require(
            JiraCreateMeta.page(try Self.object(#"{"issueTypes":[{"id":"3"}],"startAt":2,"total":3}"#)))
        #expect(last.next == nil)
        let dataCenter = try #require(
            JiraCreateMeta.page(try Self.object(#"{"values":[{"fieldId":"a"}],"startAt":4,"isLast":false}"#)))
        #expect(dataCenter.next == 5)
        #expect(JiraCreateMeta.page(try Self.object(#"{"values":[{"fieldId":"a"}],"isLast":true}"#))?.next == nil)
        #expect(JiraCreateMeta.page(try Self.object(#"{"fields":[],"startAt":0,"total":9}"#))?.next == nil)
        #expect(JiraCreateMeta.page(try Self.object(#"{"errorMessages":[]}"#)) == nil, "no list: not a page")
    }

    @Test func requiredFieldsAreThoseWithoutADefaultWithTheirAllowedValues() throws {
        let fields = try JSONParser.parse(
            Array(
                #"""
                [{"fieldId":"summary","name":"Summary","required":true,"hasDefaultValue":false},
                 {"fieldId":"reporter","name":"Reporter","required":true,"hasDefaultValue":true},
                 {"fieldId":"labels","name":"Labels","required":false},
                 {"fieldId":"priority","name":"Priority","required":true,"hasDefaultValue":false,
                  "allowedValues":[{"id":"1","name":"High"},{"id":"3","name":"Low"}]},
                 {"key":"customfield_10010","name":"Team","required":true,
                  "allowedValues":[{"id":"20000","value":"Platform"},{"id":"20001"}]}]
                """#.utf8))
        guard case .array(let items) = fields else { throw CancellationError() }
        #expect(
            JiraCreateMeta.required(items) == [
                RequiredField(id: "summary", name: "Summary"),
                RequiredField(id: "priority", name: "Priority", allowedValues: ["High", "Low"]),
                RequiredField(id: "customfield_10010", name: "Team", allowedValues: ["Platform", "20001"]),
            ])
        let types: [JSONValue] = [
            .object(["id": .string("10001"), "name": .string("Bug")]),
            .object(["id": .string("10003"), "name": .string("Task")]),
        ]
        #expect(JiraCreateMeta.issueTypeID(named: "task", in: types) == "10003")
        #expect(JiraCreateMeta.issueTypeID(named: "Story", in: types) == nil)
    }

    @Test func thePreflightReadsTheIssueTypesThenTheFieldsPageByPage() throws {
        let http = RecordingHTTP()
        http.script = { request, _ in
            let path = request.url.path
            let start = request.url.query?.contains("startAt=0") == true ? 0 : 1
            if path.hasSuffix("/issuetypes") {
                return start == 0
                    ? Self.json(#"{"issueTypes":[{"id":"10001","name":"Bug"}],"startAt":0,"maxResults":1,"total":2}"#)
                    : Self.json(#"{"issueTypes":[{"id":"10003","name":"Task"}],"startAt":1,"maxResults":1,"total":2}"#)
            }
            return start == 0
                ? Self.json(
                    #"{"fields":[{"fieldId":"summary","name":"Summary","required":true}],"startAt":0,"total":2}"#)
                : Self.json(
                    #"{"fields":[{"fieldId":"customfield_10010","name":"Team","required":true}],"startAt":1,"total":2}"#
                )
        }
        let read = try provider(http, cloud: true).requiredFields()
        #expect(
            read
                == .read([
                    RequiredField(id: "summary", name: "Summary"), RequiredField(id: "customfield_10010", name: "Team"),
                ]))
        #expect(
            http.sent.map { "\($0.url.path)?\($0.url.query ?? "")" } == [
                "/rest/api/3/issue/createmeta/GRC/issuetypes?startAt=0&maxResults=50",
                "/rest/api/3/issue/createmeta/GRC/issuetypes?startAt=1&maxResults=50",
                "/rest/api/3/issue/createmeta/GRC/issuetypes/10003?startAt=0&maxResults=50",
                "/rest/api/3/issue/createmeta/GRC/issuetypes/10003?startAt=1&maxResults=50",
            ])
    }

    @Test func aFailedOrUnusableCreatemetaIsAFailedStep() throws {
        let http = RecordingHTTP()
        http.answer = Self.json(#"{"errorMessages":["No"]}"#, status: 403)
        #expect(
            try provider(http).requiredFields()
                == .failed(
                    ConnectionCheck.Step(name: "createmeta", ok: false, error: "credentials-refused", status: 403)))
        http.answer = Self.json(#"{"unexpected":true}"#)
        #expect(
            try provider(http).requiredFields()
                == .failed(
                    ConnectionCheck.Step(name: "createmeta", ok: false, error: "unexpected-response", status: 200)))
        http.answer = Self.json(#"{"values":[{"id":"1","name":"Bug"}],"isLast":true}"#)
        #expect(
            try provider(http).requiredFields()
                == .failed(ConnectionCheck.Step(name: "createmeta", ok: false, error: "not-found", status: nil)),
            "the project has no issue type named Task")
    }

    // MARK: refusals

    @Test func aFourHundredNamingFieldsIsAFieldRefusal() {
        let refused = Self.json(
            #"{"errorMessages":[],"errors":{"priority":"Priority is required.","customfield_10010":"Team is required."}}"#,
            status: 400)
        let problems = [
            TrackerFieldProblem(field: "customfield_10010", message: "Team is required."),
            TrackerFieldProblem(field: "priority", message: "Priority is required."),
        ]
        #expect(JiraProvider.refusedFields(refused) == problems)
        #expect(JiraProvider.failure.apiError(refused, action: "create the issue").reason == .fieldsRefused(problems))
        let messagesOnly = Self.json(#"{"errorMessages":["Sub-task needs a parent"],"errors":{}}"#, status: 400)
        #expect(JiraProvider.refusedFields(messagesOnly) == [])
        if case .refused = JiraProvider.failure.apiError(messagesOnly, action: "x").reason {
        } else {
            Issue.record("a refusal naming no field stays a 502")
        }
        #expect(JiraProvider.refusedFields(Self.json(#"{"errors":{"a":"b"}}"#, status: 403)) == nil)
    }

    // MARK: the issue's fields

    @Test func mappedFieldsGoWithOursLabelsAddedAndTheAssigneePerDeployment() throws {
        let request = EvidenceRequest(id: "r", orgID: "o", title: "Access review", description: "Q3", status: .open)
        let draft = TicketDraft(
            request: request,
            fields: [
                "priority": .object(["name": .string("High")]),
                "labels": .array([.string("grc"), .string("ticketsync"), .string("grc")]),
                "assignee": .object(["accountId": .string("mapped")]),
            ], assignee: "acc-1")
        let key = CreationKey(linkID: "l")
        let jira = try provider(RecordingHTTP())
        let cloud = jira.issueFields(draft, key: key, assignee: (id: "acc-1", deployment: .cloud))
        #expect(cloud["priority"] == .object(["name": .string("High")]))
        #expect(cloud["labels"] == .array([.string("ticketsync-l"), .string("ticketsync"), .string("grc")]))
        #expect(cloud["assignee"] == .object(["accountId": .string("acc-1")]))
        #expect(cloud["summary"] == .string("Access review") && cloud["description"] == .string("Q3"))
        #expect(cloud["project"] == .object(["key": .string("GRC")]))
        let dataCenter = jira.issueFields(draft, key: key, assignee: (id: "jdoe", deployment: .datacenter))
        #expect(dataCenter["assignee"] == .object(["name": .string("jdoe")]))
        #expect(
            jira.issueFields(draft, key: key, assignee: nil)["assignee"] == .object(["accountId": .string("mapped")]))

        var described = draft
        described.fields = ["description": .string("Ours, replaced")]
        #expect(jira.issueFields(described, key: key, assignee: nil)["description"] == .string("Ours, replaced"))
        let v3 = try provider(RecordingHTTP(), cloud: true)
        #expect(v3.issueFields(described, key: key, assignee: nil)["description"] == JiraADF.document("Ours, replaced"))
        #expect(JiraProvider.labels(ours: ["a"], mapped: .string("b")) == [.string("a"), .string("b")])
        #expect(JiraProvider.labels(ours: ["a"], mapped: .int(3)) == [.string("a"), .int(3)], "Jira refuses it itself")
    }

    // MARK: the assignee by e-mail

    @Test func theAccountIsTheOneWithTheAddressOrAHiddenOne() throws {
        let users = try JSONParser.parse(
            Array(
                #"""
                [{"accountId":"app","accountType":"app","active":true},
                 {"accountId":"gone","active":false},
                 {"accountId":"other","emailAddress":"ann@example.com.au","active":true},
                 {"accountId":"ann","active":true},
                 {"accountId":"shown","emailAddress":"Ann@Example.com","active":true}]
                """#.utf8))
        guard case .array(let list) = users else { throw CancellationError() }
        #expect(JiraProvider.account(email: "ann@example.com", among: list, cloud: true) == .found("shown"))
        #expect(
            JiraProvider.account(email: "ann@example.com", among: Array(list.prefix(4)), cloud: true) == .found("ann"))
        #expect(JiraProvider.account(email: "ann@example.com", among: Array(list.prefix(3)), cloud: true) == .notFound)
        #expect(JiraProvider.account(email: "ann@example.com", among: [], cloud: false) == .notFound)
    }

    @Test func theLookupAsksCloudByQueryAndDataCenterByUsername() throws {
        let http = RecordingHTTP()
        http.answer = Self.json(#"[{"accountId":"5b10","name":"ann","emailAddress":"ann+x@example.com"}]"#)
        #expect(try provider(http).account(email: "ann+x@example.com") == .found("5b10"))
        #expect(try provider(http, deployment: .datacenter).account(email: "ann+x@example.com") == .found("ann"))
        #expect(
            http.sent.map { "\($0.url.path)?\($0.url.query ?? "")" } == [
                "/rest/api/2/user/search?query=ann%2Bx%40example.com&maxResults=50",
                "/rest/api/2/user/search?username=ann%2Bx%40example.com&maxResults=50",
            ])
        http.answer = Self.json(#"{"errorMessages":["Unauthorized"]}"#, status: 401)
        #expect(throws: TrackerError.self) { try provider(http).account(email: "ann@example.com") }
    }

    // MARK: a changed due date

    @Test func aDueDateChangeIsOnePutOfTheMappedFields() throws {
        let http = RecordingHTTP()
        http.answer = .response(status: 204, headers: [:], body: [])
        let event = OutboxEvent(
            id: 1, eventID: "e-1", orgID: "o", linkID: "l", evidenceRequestID: "r", commentID: nil, provider: "jira",
            eventType: .update, body: #"{"due_date":"2027-01-15"}"#, attempts: 1, externalID: "GRC-7")
        #expect(
            try provider(http).deliver(event, timeouts: Self.timeouts) == .delivered(externalCommentID: nil, echo: nil))
        let put = try #require(http.sent.first)
        #expect(put.method == "PUT" && put.url.path == "/rest/api/2/issue/GRC-7")
        #expect(try JSONParser.parse(put.body) == .object(["fields": .object(["duedate": .string("2027-01-15")])]))

        http.answer = Self.json(#"{"errors":{"duedate":"Field 'duedate' cannot be set."}}"#, status: 400)
        if case .giveUp = try provider(http).deliver(event, timeouts: Self.timeouts) {
        } else {
            Issue.record("a refused update is not retried")
        }
        let fixed = FieldMapping(fields: ["duedate": .string("2030-01-01")])
        let before = http.sent.count
        #expect(
            try provider(http, mapping: fixed).deliver(event, timeouts: Self.timeouts)
                == .delivered(externalCommentID: nil, echo: nil))
        #expect(http.sent.count == before, "a mapping that sends the due date nowhere calls nothing")
    }
}
