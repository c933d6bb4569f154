/// `GET /api/v1/me`: who the token belongs to, and the orgs it may see with the permission held in each.
enum MeRoutes {
    /// The user's orgs, read with the authentication.
    static func membershipsQuery(_ context: RequestContext) -> ReadQuery { AuthStore.membershipsQuery }

    static func me(_ context: RequestContext) throws -> HTTPResponse {
        guard let principal = context.principal else { throw APIError.unauthorized }
        let orgs = context.rows
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
                            "id": .string($0.string("id")), "name": .string($0.string("name")),
                            "permission": .string($0.string("permission")),
                        ])
                    }),
            ]))
    }
}
