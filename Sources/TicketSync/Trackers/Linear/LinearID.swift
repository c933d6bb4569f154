import Foundation
import TicketSyncPlatform

/// The ids Ticket Sync chooses for what it makes in Linear, so that a retried call finds its own work instead of
/// making it twice: Linear takes a caller-chosen `id` on `issueCreate` and `commentCreate`.
///
/// The id is the first 16 bytes of SHA-256(namespace ‖ name), stamped as a version-4, RFC 9562 variant UUID: Linear's
/// schema asks for "UUID v4 format", so the stamp keeps it a syntactically valid v4 (its bits come from the hash,
/// not from chance; SHA-256 rather than UUIDv5's SHA-1 because the project's crypto has it already). The namespace
/// below is fixed forever: changing it would make every resumed create miss the issue its first attempt made.
enum LinearID {
    /// `ticketsync-<link id>` → the issue's id.
    static let issueNamespace: [UInt8] = Array("5c1d8f0e-3b7a-4e2c-9d61-7a4b2e9f0c35".utf8)
    /// An outbox event id → the comment's id.
    static let commentNamespace: [UInt8] = Array("b2a4c6e8-0f1d-4b3c-8e5a-6d7f9a1b3c5e".utf8)

    static func issue(_ key: CreationKey) -> String { uuid(issueNamespace, key.text) }

    static func comment(eventID: String) -> String { uuid(commentNamespace, eventID.lowercased()) }

    static func uuid(_ namespace: [UInt8], _ name: String) -> String {
        var bytes = Array(Crypto.sha256(namespace + Array(name.utf8)).prefix(16))
        guard bytes.count == 16 else { return Hex.encode(bytes) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // trap-safe: 16 bytes checked above
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // trap-safe: 16 bytes checked above
        let hex = Array(Hex.encode(bytes))
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }
        return groups.joined(separator: "-")
    }
}
