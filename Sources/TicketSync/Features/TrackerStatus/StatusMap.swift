/// Which evidence-request status a tracker status leads to: `done=submitted, In Review=in_progress, 8=keep`.
/// A key is a tracker status name (any case), a ServiceNow state value, or a status category (`new`, `indeterminate`,
/// `done`), looked up in that order; the value is an evidence-request status, or `keep` for no change. The default
/// maps only `done` to `submitted`: a tracker's users are usually not the auditors, so `accepted` and `rejected`
/// come only from a mapping that names them. `off` maps nothing (links still close and reopen).
public struct StatusMap: Sendable, Equatable {
    /// Lowercased key → status (`keep` entries are kept, so they win over a broader key).
    public private(set) var entries: [String: String]
    /// The keys in the order they were written, for `text`.
    private var order: [String]

    public static let standard = StatusMap(entries: ["done": "submitted"], order: ["done"])
    public static let off = StatusMap(entries: [:], order: [])

    public static let keep = "keep"
    static let maxEntries = 32
    static let maxKeyLength = 64

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(Invalid) -> StatusMap {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "off" { return .off }
        var map = StatusMap.off
        for pair in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let value = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            guard !key.isEmpty, key.unicodeScalars.count <= maxKeyLength, !key.contains("=") else {
                throw Invalid(description: "each entry must be `tracker status=evidence status` (got `\(pair)`)")
            }
            guard value == keep || EvidenceRequest.statuses.contains(value) else {
                throw Invalid(
                    description:
                        "`\(key)` maps to `\(value)`; use one of \(EvidenceRequest.statuses.joined(separator: ", ")) or keep"
                )
            }
            let lowered = key.lowercased()
            guard map.entries[lowered] == nil else { throw Invalid(description: "`\(key)` is mapped twice") }
            map.entries[lowered] = value
            map.order.append(lowered)
        }
        guard map.entries.count <= maxEntries else {
            throw Invalid(description: "at most \(maxEntries) entries")
        }
        return map
    }

    /// The written form (`off` when empty), as the connection stores it.
    public var text: String {
        order.isEmpty ? "off" : order.map { "\($0)=\(entries[$0] ?? Self.keep)" }.joined(separator: ",")
    }

    /// The evidence-request status for a tracker status; nil: no change.
    public func status(for change: TrackerStatusChange) -> String? {
        entry(for: change).flatMap { $0 == Self.keep ? nil : $0 }
    }

    /// The map's entry for a tracker status, `keep` included; nil only when no key matches (so that a `keep`
    /// entry is never mistaken for no entry).
    public func entry(for change: TrackerStatusChange) -> String? {
        let keys = [change.name.lowercased(), change.state?.lowercased(), change.category.rawValue].compactMap { $0 }
        return keys.lazy.compactMap { entries[$0] }.first
    }
}
