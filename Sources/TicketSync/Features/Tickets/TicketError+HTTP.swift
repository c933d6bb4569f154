import TicketSyncPlatform

/// The ticket domain's refusals as problem+json, worded once.
extension TicketError: HTTPResponseError {
    public var status: Int {
        switch self {
        case .alreadyLinked, .externalIDInUse, .alreadyClosed, .unlinkedMeanwhile, .beingCreated, .createSuperseded: 409
        case .noLink, .noRequest: 404
        }
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
        }
    }
}
