import ArgumentParser
import TicketSync
import TicketSyncPlatform

/// What `serve` and `deliver` refuse to start without: usable settings, a readable key ring, and every key id that
/// stored secrets are sealed with.
enum StartupChecks {
    static func run(settings: Settings, environment: [String: String]) throws -> SecretKeyRing {
        if let error = settings.errors.first { throw ValidationError(error) }
        let keys: SecretKeyRing
        do { keys = try SecretKeyRing.load(environment: environment) } catch let error as SecretKeyRing.LoadError {
            throw ValidationError(error.description)
        }
        // A database that is down at start-up is not a reason to refuse (the responder answers 503 and recovers);
        // the check then happens at the first use of a secret, which answers 503 naming the problem.
        guard let db = try? PGConnection(conninfo: settings.databaseURL, limits: settings.databaseLimits) else {
            ServerLog.warning("database unreachable at start-up: the secret key check is skipped")
            return keys
        }
        let missing = try ConnectionStore(db: db).sealingKeyIDs().filter { keys.key(id: $0) == nil }
        if let first = missing.first {
            throw ValidationError(
                "stored connection secrets are sealed with key id '\(first)', which TICKET_SECRET_KEYS_FILE / TICKET_SECRET_KEYS does not hold; restore that key (keep it until `ticketsync keys rotate` has re-sealed everything)"
            )
        }
        return keys
    }
}
