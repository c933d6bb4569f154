import Foundation
import TicketSyncPlatform

/// `POST …/connections/{id}/test`: asks the tracker for real, step by step, and reports which steps worked with a
/// safe error class, never the tracker's body (it may echo secrets or internal details).
public struct ConnectionCheck: Sendable {
    public struct Step: Sendable, Equatable {
        public var name: String
        public var ok: Bool
        /// timeout, unreachable, address-refused, tls-failed, response-too-large, credentials-refused, not-found,
        /// rate-limited, redirect, rejected, tracker-error, unexpected-response, not-configured.
        public var error: String?
        public var status: Int?

        public static func passed(_ name: String, status: Int? = nil) -> Step {
            Step(name: name, ok: true, error: nil, status: status)
        }

        public var json: JSONValue {
            .object([
                "name": .string(name), "ok": .bool(ok), "error": .optional(error),
                "status": status.map(JSONValue.int) ?? .null,
            ])
        }
    }

    public var steps: [Step]
    public var testedAt: String
    /// The required-field preflight (`FieldPreflight.json`), when the tracker publishes its required fields.
    public var preflight: JSONValue? = nil

    public var ok: Bool { !steps.isEmpty && steps.allSatisfy(\.ok) }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "ok": .bool(ok), "steps": .array(steps.map(\.json)), "tested_at": .string(testedAt),
        ]
        if let preflight { members["preflight"] = preflight }
        return .object(members)
    }

    /// One HTTP step judged: 2xx whose body `accept`s passes; everything else is classified.
    public static func step(
        _ name: String, _ result: OutboundResult, accept: ([String: JSONValue]?) -> Bool = { _ in true }
    )
        -> Step
    {
        guard let status = result.status else {
            return Step(name: name, ok: false, error: errorClass(transport: result.summary), status: nil)
        }
        if (200..<300).contains(status) {
            return accept(result.jsonObject)
                ? .passed(name, status: status)
                : Step(name: name, ok: false, error: "unexpected-response", status: status)
        }
        let error: String =
            switch status {
            case 401, 403: "credentials-refused"
            case 404: "not-found"
            case 429: "rate-limited"
            case 300..<400: "redirect"
            case 500...: "tracker-error"
            default: "rejected"
            }
        return Step(name: name, ok: false, error: error, status: status)
    }

    static func errorClass(transport summary: String) -> String {
        if summary.hasPrefix("refused") { return "address-refused" }
        if summary.hasPrefix("timed out") || summary.hasPrefix("host lookup timed out") { return "timeout" }
        if summary.hasPrefix("TLS") { return "tls-failed" }
        if summary.hasPrefix("the response was larger") { return "response-too-large" }
        return "unreachable"
    }
}

extension ConnectionRoutes {
    static func test(_ context: RequestContext) throws -> HTTPResponse {
        let connection = try load(context)
        try context.requireNoBody()
        let config = try context.providers.config(connection)
        var steps: [ConnectionCheck.Step]
        var preflight: JSONValue?
        if config.missing.isEmpty {
            let provider = try context.providers.provider(config)
            guard
                let checked = context.providers.bulkhead.withSlot(
                    TrackerBulkhead.key(config),
                    { () -> ([ConnectionCheck.Step], RequiredFieldsRead?) in
                        let steps = provider.checkConnection()
                        // The preflight only once the tracker answered: it reads the project the steps found.
                        return (steps, steps.allSatisfy(\.ok) ? provider.requiredFields() : nil)
                    })
            else { throw APIError.trackerBusy(config) }
            steps = checked.0
            switch checked.1 {
            case .read(let required)?:
                let missing = FieldPreflight.missing(
                    required, mapping: config.fields, owned: config.kind.tracker.ownedFields, assignee: config.assignee)
                preflight = FieldPreflight.json(required: required, missing: missing)
                steps.append(
                    ConnectionCheck.Step(
                        name: "required-fields", ok: missing.isEmpty, error: missing.isEmpty ? nil : "fields-missing",
                        status: nil))
            case .failed(let step)?: steps.append(step)
            case nil: break
            }
        } else {
            steps = [ConnectionCheck.Step(name: "configuration", ok: false, error: "not-configured", status: nil)]
        }
        var check = ConnectionCheck(steps: steps, testedAt: Timestamp.string())
        check.preflight = preflight
        let db = try context.database()
        try db.transaction {
            try ConnectionStore(db: db).recordTest(org: context.orgID, id: connection.id.rawValue, result: check.json)
            try db.query(
                ConnectionRoutes.audit(
                    context, "connection.test", connection: connection.id.rawValue,
                    detail: ["ok": .bool(steps.allSatisfy(\.ok))]
                ).statement)
        }
        return .json(200, check.json)
    }
}

extension MockProvider {
    public func checkConnection() -> [ConnectionCheck.Step] { [.passed("mock")] }
}

extension WebhookProvider {
    /// A signed `ping` event; any 2xx means the endpoint verified and accepted it.
    public func checkConnection() -> [ConnectionCheck.Step] {
        let eventID = UUID().uuidString.lowercased()
        let body = JSONValue.object([
            "event_id": .string(eventID), "event_type": .string("ping"),
            "occurred_at": .string(Timestamp.string()),
        ])
        return [
            ConnectionCheck.step(
                "ping", send(type: "ping", eventID: eventID, body: body.serialized(), timeouts: timeouts))
        ]
    }
}

extension JiraProvider {
    /// The account (`myself`), then the project it will create issues in.
    public func checkConnection() -> [ConnectionCheck.Step] {
        let myself = ConnectionCheck.step("myself", call("GET", "/myself", timeouts: timeouts)) { $0 != nil }
        guard myself.ok else { return [myself] }
        let project = ConnectionCheck.step(
            "project", call("GET", "/project/\(Self.escaped(projectKey))", timeouts: timeouts)
        ) {
            $0?["key"] != nil
        }
        return [myself, project]
    }
}

extension ServiceNowProvider {
    /// A one-row read of the table tickets are created in.
    public func checkConnection() -> [ConnectionCheck.Step] {
        let result = call(
            "GET", tablePath,
            query: [
                URLQueryItem(name: "sysparm_limit", value: "1"),
                URLQueryItem(name: "sysparm_fields", value: "sys_id"),
            ],
            timeouts: timeouts)
        return [
            ConnectionCheck.step("table", result) { body in
                if case .array? = body?["result"] { return true }
                return false
            }
        ]
    }
}
