import TicketSyncPlatform

/// `/healthz`: the process answers. `/readyz`: the database answers and its schema is current.
enum HealthRoutes {
    static func health(_ context: RequestContext) throws -> HTTPResponse {
        .json(200, .object(["status": .string("ok")]))
    }

    static func ready(_ context: RequestContext, expectedSchemaVersion: Int) throws -> HTTPResponse {
        let applied = try Migrator(connection: context.database()).appliedVersions().max() ?? 0
        guard applied >= expectedSchemaVersion else {
            throw APIError(
                503, "migrations-pending",
                "The database schema is at version \(applied); this build needs \(expectedSchemaVersion). Run `ticketsync migrate`."
            )
        }
        return .json(200, .object(["status": .string("ready"), "schema_version": .int(applied)]))
    }
}
