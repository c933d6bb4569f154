import Foundation
import TicketSyncPlatform

/// Linear's webhooks: `Linear-Signature` is the hex HMAC-SHA256 of the raw body with the webhook's signing secret;
/// `Linear-Delivery` identifies the delivery; the body's `webhookTimestamp` (ms) says when it was sent.
enum LinearWebhook {
    static let signatureHeader = "linear-signature"
    static let deliveryHeader = "linear-delivery"
    /// A delivery sent longer ago than this (or further ahead) is refused: a captured request cannot be replayed later.
    static let toleranceMilliseconds: Int64 = 60_000

    /// The signature over the raw body against every secret (rotation, in constant time), then the timestamp, read
    /// only from a body whose signature verified. Returns why not, for the log and the audit.
    static func verify(signature: String?, body: [UInt8], secrets: [String], now: Date = Date()) -> InboundRejection? {
        guard let signature else { return InboundRejection("Linear-Signature missing") }
        let hex = Substring(signature.trimmingCharacters(in: .whitespaces).lowercased())
        guard let matched = WebhookSignature.hexMatches(hex, body, secrets) else {
            return InboundRejection("Linear-Signature malformed")
        }
        guard matched else { return InboundRejection("Linear-Signature mismatch") }
        guard let sent = timestamp((try? JSONParser.parse(body))?["webhookTimestamp"]) else {
            return InboundRejection("webhookTimestamp missing")
        }
        let nowMilliseconds = Int64(exactly: (now.timeIntervalSince1970 * 1000).rounded()) ?? 0
        guard abs(nowMilliseconds - sent) <= toleranceMilliseconds else {
            return InboundRejection("webhookTimestamp outside the 60 s window")
        }
        return nil
    }

    /// Milliseconds since 1970 as a JSON number (years 1970 to 9999).
    static func timestamp(_ value: JSONValue?) -> Int64? {
        let number: Double
        switch value {
        case .int(let value)?: number = Double(value)
        case .number(let value)?: number = value
        default: return nil
        }
        guard number >= 0, number < 253_402_300_800_000 else { return nil }
        return Int64(exactly: number.rounded())
    }

    /// What a verified event asks for.
    enum Event: Equatable {
        /// `type: Comment`, `action: create`.
        case comment(issueID: String, commentID: String, author: String, body: String)
        /// `type: Issue`, `action: update` with `updatedFrom.stateId`.
        case status(issueID: String, identifier: String?, TrackerStatusChange)
        /// Anything else: acknowledged, nothing applied.
        case other
    }

    static func decode(_ body: JSONValue) -> Event {
        let data = body["data"]
        let sent = timestamp(body["webhookTimestamp"])
        let actor = (body["actor"]?["name"]?.stringValue).map { String($0.prefix(255)) }
        switch (body["type"]?.stringValue, body["action"]?.stringValue) {
        case ("Comment", "create"):
            guard let commentID = data?["id"]?.stringValue,
                let issueID = data?["issueId"]?.stringValue ?? data?["issue"]?["id"]?.stringValue,
                let text = data?["body"]?.stringValue
            else { return .other }
            let author = data?["user"]?["name"]?.stringValue ?? actor ?? "Linear"
            return .comment(issueID: issueID, commentID: commentID, author: String(author.prefix(255)), body: text)
        case ("Issue", "update"):
            // Only an update that moved the issue to another state (Linear lists the previous values it changed).
            guard body["updatedFrom"]?["stateId"] != nil, let issueID = data?["id"]?.stringValue,
                let state = data?["state"], let name = state["name"]?.stringValue,
                let type = state["type"]?.stringValue,
                let milliseconds = data?["updatedAt"]?.stringValue.flatMap(TrackerTime.milliseconds) ?? sent
            else { return .other }
            let change = TrackerStatusChange(
                name: String(name.prefix(255)), category: category(type: type), state: String(type.prefix(64)),
                milliseconds: milliseconds, actor: actor)
            return .status(issueID: issueID, identifier: data?["identifier"]?.stringValue, change)
        default:
            return .other
        }
    }

    /// Linear's state types: `completed` and `canceled` are done (the issue is finished either way; map
    /// `canceled=keep` to leave the evidence request as it is), `started` is in progress, `triage`, `backlog` and
    /// `unstarted` are new.
    static func category(type: String) -> TrackerStatusChange.Category {
        switch type {
        case "completed", "canceled": .done
        case "started": .indeterminate
        default: .new
        }
    }
}
