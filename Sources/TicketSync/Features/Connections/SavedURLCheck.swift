import Foundation
import TicketSyncPlatform

/// How a connection's URLs are checked when saved: by the outbound guard, for the org that saves them. A host name's
/// lookup (plain http only) holds one of the org's tracker slots while it runs, as a call to its tracker would, and
/// counts against the org's share of the resolver: an org that saves names that never answer waits on its own slots
/// and its own share, never on anyone else's.
struct SavedURLCheck {
    var check: OutboundGuard
    var bulkhead: TrackerBulkhead
    var slot: TrackerBulkhead.Slot
    var resolver: HostResolver

    init(org: String, guard check: OutboundGuard, bulkhead: TrackerBulkhead, resolver: HostResolver = .system) {
        self.check = check.owned(by: org)
        self.bulkhead = bulkhead
        self.slot = TrackerBulkhead.Slot(tracker: "url-check:\(org)", org: org)
        self.resolver = resolver
    }

    /// The addresses `url` may be reached at; throws the guard's refusal, or 503 `provider-busy` (without looking the
    /// name up) when the org's tracker slots are all taken. (The guard's `busy`, the org's share of the resolver
    /// taken, is turned into the same 503 by the caller.)
    func approve(_ url: URL) throws -> [IPAddress] {
        guard let host = url.host, IPAddress(literal: host) == nil else {
            return try check.approve(url, within: check.lookupSeconds, resolver: resolver)
        }
        let approved = try bulkhead.withSlot(slot) {
            try check.approve(url, within: check.lookupSeconds, resolver: resolver)
        }
        guard let approved else { throw APIError.urlCheckBusy }
        return approved
    }
}

extension APIError {
    /// The org's tracker slots, or its share of host name lookups, are all taken (by calls to its trackers, or other
    /// saves looking a host name up).
    static let urlCheckBusy = APIError(
        503, "provider-busy",
        "The org's trackers are still answering earlier requests, so the URL's host name cannot be checked now; "
            + "save again shortly.",
        title: "Ticket provider busy", headers: [("Retry-After", "2")])
}
