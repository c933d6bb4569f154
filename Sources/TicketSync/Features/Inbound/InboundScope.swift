/// Which links an inbound event may touch: those of the connection whose URL and secret it came through, or, on
/// the seed's inbound routes, those of the deployment default. Never a lookup across connections.
public enum InboundScope: Sendable, Equatable {
    case deployment
    case connection(ConnectionID)

    /// A SQL condition on a `connection_id` column, its value (if any) bound as `$parameter`.
    func condition(_ column: String, parameter: Int) -> String {
        switch self {
        case .deployment: "\(column) IS NULL"
        case .connection: "\(column) = $\(parameter)::uuid"
        }
    }

    var parameters: [String?] {
        switch self {
        case .deployment: []
        case .connection(let id): [id.rawValue]
        }
    }

    var connectionID: ConnectionID? {
        if case .connection(let id) = self { return id }
        return nil
    }
}
