import TicketSyncPlatform

/// The ticket domain's refusals as problem+json, worded once.
extension TicketError: HTTPResponseError {
    public var status: Int {
        switch self {
        case .alreadyLinked, .externalIDInUse, .alreadyClosed, .unlinkedMeanwhile, .beingCreated, .createSuperseded: 409
        case .noLink, .noRequest: 404
        case .resyncTooSoon: 429
        case .cannotBeSwept: 409
        }
    }

    public var headers: [(name: String, value: String)] {
        guard case .resyncTooSoon(let seconds) = self else { return [] }
        return [("Retry-After", String(seconds))]
    }

    public var problem: Problem {
        switch self {
        case .alreadyLinked:
            Problem(
                slug: "ticket-already-linked", title: HTTPStatus.reason(409),
                detail: "This evidence request already has a linked ticket; unlink it first.")
        case .externalIDInUse(let id):
            Problem(
                slug: "external-id-in-use", title: HTTPStatus.reason(409),
                detail: "Ticket \(id) is already linked to an evidence request.")
        case .alreadyClosed:
            Problem(
                slug: "ticket-already-closed", title: HTTPStatus.reason(409), detail: "The ticket is already closed.")
        case .beingCreated:
            Problem(
                slug: "ticket-being-created", title: HTTPStatus.reason(409),
                detail: "This evidence request's ticket is being created right now; try again in a moment.")
        case .unlinkedMeanwhile:
            Problem(
                slug: "ticket-unlinked", title: HTTPStatus.reason(409),
                detail: "The close was recorded, but the ticket was unlinked meanwhile; it is no longer linked here.")
        case .createSuperseded(let made, let linked):
            Problem(
                slug: "ticket-create-superseded", title: HTTPStatus.reason(409),
                detail: "This create took longer than its lease and another create took over; the ticket it made, "
                    + "\(made), was not linked"
                    + (linked.map { " (the evidence request is linked to \($0))" } ?? " (the request was unlinked)")
                    + ". If both tickets exist in the tracker, close the one not linked.",
                extensions: [
                    "unlinked_external_id": .string(made), "external_id": linked.map(JSONValue.string) ?? .null,
                ])
        case .noLink:
            Problem(
                slug: "not-found", title: HTTPStatus.reason(404), detail: "This evidence request has no linked ticket.")
        case .noRequest:
            Problem(slug: "not-found", title: HTTPStatus.reason(404), detail: "No such evidence request.")
        case .resyncTooSoon(let seconds):
            Problem(
                slug: "resync-too-soon", title: HTTPStatus.reason(429),
                detail: "A re-sync was asked for moments ago; ask again in \(seconds) s.")
        case .cannotBeSwept(let reason):
            Problem(
                slug: "cannot-be-swept", title: HTTPStatus.reason(409),
                detail: "This ticket's tracker cannot be read back: \(reason)")
        }
    }
}
