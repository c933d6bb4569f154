/// `GET /api/v1/me`: who the token belongs to, and the orgs it may see with the permission held in each.
enum MeRoutes {
    static func me(_ context: RequestContext) throws -> HTTPResponse {
        guard let principal = context.principal else { throw APIError.unauthorized }
        let orgs = try AuthStore(db: context.database()).memberships(userID: principal.userID)
        return .json(
            200,
            .object([
                "user": .object([
                    "id": .string(principal.userID), "email": .string(principal.email),
                    "display_name": .string(principal.displayName),
                ]),
                "orgs": .array(
                    orgs.map {
                        .object([
                            "id": .string($0.id), "name": .string($0.name),
                            "permission": .string($0.permission),
                        ])
                    }),
            ]))
    }
}
