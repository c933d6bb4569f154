import TicketSyncPlatform

/// The answer of both inbound webhooks: `{"success": true, "applied": {"comment": …, "status": …, "tracker_status": …,
/// "link": …}}`, plus `ignored` when (part of) the event was acknowledged without effect.
enum InboundApplied {
    static func response(
        comment: String? = nil, status: String? = nil, trackerStatus: String? = nil, link: String? = nil,
        ignored: String? = nil
    ) -> HTTPResponse {
        // `tracker_status` and `link` only when a tracker status was applied (the seed's answer stays as it was).
        var applied: [String: JSONValue] = ["comment": .optional(comment), "status": .optional(status)]
        if let trackerStatus { applied["tracker_status"] = .string(trackerStatus) }
        if let link { applied["link"] = .string(link) }
        var body: [String: JSONValue] = ["success": .bool(true), "applied": .object(applied)]
        if let ignored { body["ignored"] = .string(ignored) }
        var response = HTTPResponse.json(200, .object(body))
        response.inboundOutcome = outcome(
            comment: comment, changed: status != nil || trackerStatus != nil || link != nil, ignored: ignored)
        return response
    }

    /// For the metrics: applied (a comment created, or a status or the link changed), else ignored (nothing to do,
    /// or all of it stale) or duplicate (the comment was seen before).
    static func outcome(comment: String?, changed: Bool, ignored: String?) -> InboundMetric.Reason {
        if comment == "created" || (changed && ignored == nil) { return .applied }
        return ignored == nil && comment == "duplicate" ? .duplicate : .ignored
    }
}
