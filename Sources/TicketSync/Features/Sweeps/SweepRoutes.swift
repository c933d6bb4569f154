import Foundation
import TicketSyncPlatform

/// "Re-sync now": of one connection (its sweep is due at once; a delivery loop runs it) and of one evidence
/// request's ticket (read from the tracker while the request waits, and applied like a sweep's finding).
/// Both need configure, and are rate-limited (TICKET_SYNC_RESYNC_EVERY) per connection and per link.
enum SweepRoutes {
    /// `POST /api/v1/orgs/{org_id}/ticket-sync/connections/{connection_id}/resync` → 202.
    static func resyncConnection(_ context: RequestContext) throws -> HTTPResponse {
        try context.requireNoBody()
        let id = try context.uuidParameter("connection_id")
        let db = try context.database()
        // Another org's connection is a 404 like a missing one.
        guard let connection = try ConnectionStore(db: db).find(org: context.orgID, id: id) else {
            throw APIError.notFound("No such connection.")
        }
        guard !connection.disabled else { throw APIError.connectionDisabled(connection.name) }
        if let wait = try SweepStore(db: db).requestNow(
            org: context.org, connection: ConnectionID(id), kind: connection.kind.rawValue,
            everySeconds: context.settings.sweeps.resyncEverySeconds)
        {
            throw TicketError.resyncTooSoon(retryAfter: wait)
        }
        return .json(
            202,
            .object([
                "connection_id": .string(id),
                "due_at": .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            ]))
    }

    /// `POST /api/v1/orgs/{org_id}/evidence-requests/{request_id}/ticket/resync` → 200 with what changed.
    static func resyncTicket(_ context: RequestContext) throws -> HTTPResponse {
        try context.requireNoBody()
        let request = try context.evidenceRequest()
        let db = try context.database()
        let links = TicketLinkStore(db: db)
        guard let link = try links.active(org: context.org, request: request.id) else { throw TicketError.noLink }
        guard !link.isCreating else { throw TicketError.beingCreated }
        if let wait = try SweepStore(db: db).claimResync(link, everySeconds: context.settings.sweeps.resyncEverySeconds)
        {
            throw TicketError.resyncTooSoon(retryAfter: wait)
        }
        let providers = context.providers
        let config = try providers.config(for: link, db: db)
        guard let sweeper = try providers.provider(config).sweeper(reading: db) else {
            throw TicketError.cannotBeSwept("\(config.kind.tracker.displayName) offers nothing to read a ticket by.")
        }
        let ticket: SweptTicket
        do {
            guard let read = try providers.bulkhead.withSlot(TrackerBulkhead.key(config), { try sweeper.lookup(link) })
            else { throw APIError.trackerBusy(config) }
            ticket = read
        } catch let unsupported as SweepUnsupported {
            throw TicketError.cannotBeSwept(unsupported.reason)
        }
        let applier = SweepApplier(
            db: db, scope: link.connectionID.map(InboundScope.connection) ?? .deployment, statusMap: config.statusMap,
            foundBy: "resync", metrics: providers.metrics)
        let repairs = try applier.apply(ticket, to: link)
        let now = try links.active(org: context.org, request: request.id) ?? link
        return .json(200, .object(["link": now.json, "repairs": repairs.json]))
    }
}
