import Foundation

/// One numbered SQL file from `sql/`, e.g. `002_ticket_sync.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
}

public enum MigrationError: Error, CustomStringConvertible {
    case directoryMissing(String)
    case badFileName(String)
    case duplicateVersion(Int)

    public var description: String {
        switch self {
        case .directoryMissing(let path): "migration directory not found: \(path) (set TICKETSYNC_SQL_DIR)"
        case .badFileName(let name): "migration file name must look like 001_name.sql: \(name)"
        case .duplicateVersion(let version): "two migration files share version \(version)"
        }
    }
}

extension Migration {
    /// Reads `NNN_name.sql` files from a directory, ordered by version.
    public static func load(from directory: String) throws -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw MigrationError.directoryMissing(directory)
        }
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]) else {
                throw MigrationError.badFileName(name)
            }
            let sql = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw MigrationError.duplicateVersion(a.version)
        }
        return migrations
    }

    /// Where the SQL files are: an explicit path, `TICKETSYNC_SQL_DIR`, the installed copy beside the binary
    /// (`<prefix>/bin/ticketsync` reads `<prefix>/share/ticketsync/sql`: the Debian package's `/usr/bin` and
    /// `/usr/share`) when it exists, or `./sql` (a checkout). The installed copy comes before `./sql` so that an
    /// installed binary never applies some other `sql/` folder it happens to be started in.
    public static func directory(
        explicit: String?, environment: [String: String], executable: String? = runningExecutable()
    ) -> String {
        if let path = explicit ?? environment["TICKETSYNC_SQL_DIR"] { return path }
        if let executable {
            let prefix = URL(fileURLWithPath: executable).deletingLastPathComponent().deletingLastPathComponent()
            let installed = prefix.appendingPathComponent("share/ticketsync/sql").path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: installed, isDirectory: &isDirectory), isDirectory.boolValue {
                return installed
            }
        }
        return "sql"
    }

    /// The path of the running binary, symlinks resolved (nil where /proc is not mounted).
    public static func runningExecutable() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}

/// Applies migrations once each, in order, each in its own transaction.
/// A session advisory lock makes two processes migrating at once safe: the second waits, then finds nothing to do.
public struct Migrator {
    static let lockKey = "7352919024781"  // arbitrary constant, private to Ticket Sync
    let connection: PGConnection

    public init(connection: PGConnection) { self.connection = connection }

    /// Returns the names of the migrations applied by this call.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws -> [String] {
        try connection.query("SELECT pg_advisory_lock($1::bigint)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1::bigint)", [Self.lockKey]) }
        try connection.execute(
            """
            CREATE SCHEMA IF NOT EXISTS ticket_sync;
            CREATE TABLE IF NOT EXISTS ticket_sync.schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """)
        let done = Set(try appliedVersions())
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.version) {
            try connection.transaction {
                // The migrations name the host's tables unqualified: they resolve in the host schema only.
                try connection.execute(connection.limits.hostSchema.searchPathSQL(local: true))
                try connection.execute(migration.sql)
                try connection.query(
                    "INSERT INTO ticket_sync.schema_migrations (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name])
            }
            applied.append(migration.name)
        }
        return applied
    }

    /// Versions recorded in `ticket_sync.schema_migrations`; empty when the table does not exist yet.
    public func appliedVersions() throws -> [Int] {
        let exists = try connection.query("SELECT to_regclass('ticket_sync.schema_migrations') IS NOT NULL AS present")
        guard exists.first?.bool("present") == true else { return [] }
        return try connection.query("SELECT version FROM ticket_sync.schema_migrations ORDER BY version")
            .all.map { $0.int("version") }
    }
}
