/// The service version, sent as `User-Agent: ticketsync/<version>`.
public enum TicketSyncVersion {
    public static let current = "0.3.0"
    public static var userAgent: String { "ticketsync/\(current)" }
}
