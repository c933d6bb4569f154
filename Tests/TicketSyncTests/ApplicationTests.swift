import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// The application without a database: everything decided before the first query.
@Suite struct ApplicationTests {
    let app = Application(
        settings: Settings(environment: ["DATABASE_URL": "host=/nonexistent port=1"]), expectedSchemaVersion: 2)
    let database = WorkerDatabase(conninfo: "host=/nonexistent port=1")
    let path =
        "/api/v1/orgs/11111111-1111-4111-8111-111111111111/evidence-requests/aaaaaaaa-0000-4000-8000-000000000001"

    func problem(_ response: HTTPResponse) throws -> JSONValue {
        #expect(response.header("Content-Type") == "application/problem+json")
        return try JSONParser.parse(response.body)
    }

    @Test func healthNeedsNoDatabase() throws {
        let response = app.handle(HTTPRequest(method: "GET", path: "/healthz"), database: database)
        #expect(response.status == 200)
        #expect(try JSONParser.parse(response.body)["status"] == .string("ok"))
    }

    @Test func unknownRouteIs404Problem() throws {
        let response = app.handle(HTTPRequest(method: "GET", path: "/nope"), database: database)
        #expect(response.status == 404)
        #expect(try problem(response)["status"] == .number(404))
    }

    @Test func wrongMethodIs405WithAllow() throws {
        let response = app.handle(HTTPRequest(method: "PATCH", path: path + "/comments"), database: database)
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, POST")
        _ = try problem(response)
    }

    @Test(arguments: [nil, "Bearer nope", "Basic abc"])
    func missingOrMalformedTokenIs401(_ authorization: String?) throws {
        var request = HTTPRequest(method: "GET", path: path + "/ticket")
        if let authorization { request.headers["authorization"] = authorization }
        let response = app.handle(request, database: database)
        #expect(response.status == 401)
        #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(try problem(response)["type"] == .string("urn:ticketsync:problem:unauthorized"))
    }

    @Test func databaseDownIs503NotACrash() throws {
        var request = HTTPRequest(method: "GET", path: path + "/ticket")
        request.headers["authorization"] = "Bearer \(APIToken.generate())"
        let response = app.handle(request, database: database)
        #expect(response.status == 503)
        #expect(try problem(response)["type"] == .string("urn:ticketsync:problem:database-unavailable"))
    }
}
