/// A generic webhook's `status`: an evidence status the adapter asks for, treated like a tracker status of that name.
extension StatusMap {
    /// The map's entry for that name (any case) when it has one (`submitted=keep`, `accepted=accepted`); otherwise
    /// `open`, `in_progress` and `submitted` as they are, and nothing for an auditor's decision (`accepted`,
    /// `rejected`), which the map must name. `off` maps nothing. nil: no change.
    public func status(forRequested name: String) -> String? {
        if let value = entries[name.lowercased()] { return value == Self.keep ? nil : value }
        guard !entries.isEmpty, !Self.decisions.contains(name) else { return nil }
        return name
    }

    /// The statuses only an auditor sets, unless a map names them.
    static let decisions = ["accepted", "rejected"]

    /// What a generic webhook's `status` does to a request now `current`.
    enum Requested: Equatable {
        /// Set the request to this status.
        case set(String)
        /// Nothing to write: the request already has the mapped status (named), or the map says keep (nil).
        case unchanged(String?)
        /// Not applied, and why (the webhook's answer says it as `ignored`).
        case ignored(String)
    }

    func requested(_ name: String, current: EvidenceRequest.Status) -> Requested {
        guard let mapped = status(forRequested: name) else {
            if entries.isEmpty { return .ignored("status: the status map is off") }
            if entries[name.lowercased()] != nil { return .unchanged(nil) }  // mapped to keep
            return .ignored("status \(name) is an auditor's decision, which the status map does not name")
        }
        if mapped == current.rawValue { return .unchanged(current.rawValue) }
        guard let target = TrackerStatusSync.target(mapped, current: current) else {
            return .ignored(
                "status: the evidence request is \(current.rawValue), an auditor's decision the tracker does not move back"
            )
        }
        return .set(target.rawValue)
    }
}
