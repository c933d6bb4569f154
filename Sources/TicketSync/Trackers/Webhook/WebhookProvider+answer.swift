import Foundation
import TicketSyncPlatform

/// What an adapter's answer to `ticket.create` may set, checked before it is stored: a bad value fails the create
/// with a 502 naming the field (the reservation is released; nothing is linked).
extension WebhookProvider {
    static let maxExternalIDLength = 255
    static let maxExternalURLLength = 2048

    /// `external_id`: absent, null or empty → nil (the minted `wh-<n>` is used); else a single-line string of at
    /// most 255 characters.
    static func externalID(_ value: JSONValue?) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)? where text.isEmpty: return nil
        case .string(let text)?
        where text.unicodeScalars.count <= maxExternalIDLength
            && !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }):
            return text
        default:
            throw refused(
                "external_id",
                "must be a string of at most \(maxExternalIDLength) characters without control characters")
        }
    }

    /// `external_url`: absent or null → nil; else an absolute http(s) URL with a host, at most 2048 bytes.
    static func externalURL(_ value: JSONValue?) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard text.utf8.count <= maxExternalURLLength, let url = URL(string: text),
                let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
                let host = url.host, !host.isEmpty
            else { break }
            return text
        default: break
        }
        throw refused("external_url", "must be an absolute http(s) URL of at most \(maxExternalURLLength) bytes")
    }

    private static func refused(_ field: String, _ rule: String) -> TrackerError {
        TrackerError(
            tracker: "The webhook endpoint", action: "ticket.create", reason: .invalidAnswer(field: field, rule: rule))
    }
}
