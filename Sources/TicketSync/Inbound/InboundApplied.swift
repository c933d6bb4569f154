/// The answer of both inbound webhooks: `{"success": true, "applied": {"comment": …, "status": …}}`, plus `ignored`
/// when the event was acknowledged without effect.
enum InboundApplied {
    static func response(comment: String? = nil, status: String? = nil, ignored: String? = nil) -> HTTPResponse {
        var body: [String: JSONValue] = [
            "success": .bool(true),
            "applied": .object(["comment": .optional(comment), "status": .optional(status)]),
        ]
        if let ignored { body["ignored"] = .string(ignored) }
        var response = HTTPResponse.json(200, .object(body))
        response.inboundOutcome = outcome(comment: comment, status: status, ignored: ignored)
        return response
    }

    /// For the metrics: applied (something changed), duplicate (seen before) or ignored (nothing to do).
    static func outcome(comment: String?, status: String?, ignored: String?) -> InboundMetric.Reason {
        guard ignored == nil else { return .ignored }
        if comment == "created" || status != nil { return .applied }
        return comment == "duplicate" ? .duplicate : .ignored
    }
}
