import TicketSyncPlatform

/// `GET /api/v1/me`: who the token belongs to, the orgs it may see with the permission held in each, and the token's
/// own id and expiry.
enum MeRoutes {
    /// The user's orgs, read with the authentication.
    static func membershipsQuery(_ context: RequestContext) -> ReadQuery { AuthStore.membershipsQuery }

    static func me(_ context: RequestContext) throws -> HTTPResponse {
        guard let principal = context.principal else { throw APIError.unauthorized }
        let orgs = context.rows
        return .json(
            200,
            .object([
                // The token this request came with: the page shows when the session ends.
                "token": .object([
                    "id": principal.tokenID.json, "expires_at": .optional(principal.tokenExpiresAt),
                ]),
                "user": .object([
                    "id": principal.userID.json, "email": .string(principal.email),
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
