import ArgumentParser
import Foundation
import TicketSync
import TicketSyncPlatform

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the keys that seal connection secrets (TICKET_SECRET_KEYS_FILE or TICKET_SECRET_KEYS).",
        subcommands: [Rotate.self, Generate.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Re-seal every stored secret under the first key of the ring, in batches; report what could not be.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Secrets per transaction.") var batchSize: Int = 100
        @Option(help: "Seconds to keep retrying secrets another transaction holds locked.") var waitSeconds: Int = 30

        func run() throws {
            let keys: SecretKeyRing
            do { keys = try SecretKeyRing.load(environment: ProcessInfo.processInfo.environment) } catch let error
                as SecretKeyRing.LoadError
            {
                throw ValidationError(error.description)
            }
            guard let current = keys.current else {
                throw ValidationError(
                    "no key configured: set TICKET_SECRET_KEYS_FILE (or TICKET_SECRET_KEYS), newest key first")
            }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard waitSeconds >= 0 else { throw ValidationError("--wait-seconds must not be negative") }
            let report = try SecretRotation(db: database.connect(), keys: keys)
                .run(batchSize: batchSize, wait: TimeInterval(waitSeconds))
            print("re-sealed \(report.resealed) secret(s) under key \(current.id)")
            for failure in report.failures {
                print("could not re-seal \(failure.field) of connection \(failure.connection): \(failure.reason)")
            }
            for row in report.locked {
                print(
                    "skipped \(row.field) of connection \(row.connection): locked by another transaction for "
                        + "\(waitSeconds)s, still sealed with key '\(row.keyID)'")
            }
            if !report.isComplete {
                let left = report.failures.count + report.locked.count
                print("not done: \(left) secret(s) are not under key \(current.id); keep the old key(s) in the ring")
                throw ExitCode(1)
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random key line (kid:base64) to put first in the key file.")

        @Option(help: "The key id (letters, digits, _ and -).") var id: String

        func run() throws {
            guard SecretKeyRing.isValidKeyID(id) else {
                throw ValidationError("bad key id: letters, digits, _ and -, at most 32")
            }
            print("\(id):\(Data(Crypto.randomBytes(32)).base64EncodedString())")
        }
    }
}
