import ArgumentParser
import Foundation
import TicketSync

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the user if missing and print a new bearer token (last line of stdout).")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user's email.") var email: String
        @Option(help: "Display name for a new user (an existing user's name is never changed).") var name: String?
        @Option(help: "A label for the token.") var label: String = "cli"
        @Option(help: "Lifetime: a number and s, m, h, d or w (e.g. 90d, 12h); without it, until revoked.")
        var expiresIn: String?

        func validate() throws {
            if let expiresIn, TokenLifetime.seconds(expiresIn) == nil {
                throw ValidationError(
                    "--expires-in '\(expiresIn)': a whole number and a unit (s, m, h, d, w), e.g. 90d, at most 10 years"
                )
            }
        }

        func run() throws {
            let db = try database.connect()
            let auth = AuthStore(db: db)
            let lifetime = expiresIn.flatMap(TokenLifetime.seconds)
            let token = try db.transaction { () throws -> String in
                let user = try auth.ensureUser(email: email, displayName: name)
                let token = try auth.issueToken(userID: UserID(user), name: label, lifetime: lifetime)
                var audit = AuditEvent(org: nil, action: "token.create", actor: .commandLine)
                audit.detail = [
                    "user_id": .string(user), "label": .string(label), "expires_in": .optional(expiresIn),
                    "fingerprint": .string(String(APIToken.digestHex(token).prefix(8))),
                ]
                try db.query(audit.statement)
                return token
            }
            let expiry = expiresIn.map { ", expires in \($0)" } ?? ""
            print("token for \(email) (shown once; only its SHA-256 is stored\(expiry)):")
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a user's tokens: id, state, label, created, expires, last used (never the token).")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user's email.") var email: String

        func run() throws {
            let tokens = try AuthStore(db: try database.connect()).tokens(email: email)
            guard !tokens.isEmpty else { return print("no tokens for \(email)") }
            print("id\tstate\tlabel\tcreated\texpires\tlast used")
            for token in tokens {
                print(
                    [
                        token.id, token.state, token.name, token.createdAt, token.expiresAt ?? "never",
                        token.lastUsedAt ?? "never",
                    ].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by its id (from `token list`): it answers 401 from now on.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token's id.") var id: String

        func run() throws {
            guard let tokenID = UUIDText.canonical(id) else { throw ValidationError("'\(id)' is not a token id") }
            let db = try database.connect()
            let revoked = try db.transaction { () throws -> Bool in
                guard try AuthStore(db: db).revoke(tokenID: TokenID(tokenID)) else { return false }
                var audit = AuditEvent(org: nil, action: "token.revoke", actor: .commandLine)
                audit.detail = ["token_id": .string(tokenID)]
                try db.query(audit.statement)
                return true
            }
            guard revoked else {
                printError("no live token has id \(tokenID) (unknown, or already revoked)")
                throw ExitCode(1)
            }
            print("revoked \(tokenID)")
        }
    }
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
