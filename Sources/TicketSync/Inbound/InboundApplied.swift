/// The answer of both inbound webhooks: `{"success": true, "applied": {"comment": …, "status": …}}`, plus `ignored`
/// when the event was acknowledged without effect.
enum InboundApplied {
    static func response(comment: String? = nil, status: String? = nil, ignored: String? = nil) -> HTTPResponse {
        var body: [String: JSONValue] = [
            "success": .bool(true),
            "applied": .object(["comment": .optional(comment), "status": .optional(status)]),
        ]
        if let ignored { body["ignored"] = .string(ignored) }
        return .json(200, .object(body))
    }
}
