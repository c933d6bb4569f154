import ArgumentParser
import TicketSync

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API tokens.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the user if missing and print a new bearer token (last line of stdout).")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user's email.") var email: String
        @Option(help: "Display name for a new user.") var name: String?
        @Option(help: "A label for the token.") var label: String = "cli"

        func run() throws {
            let db = try database.connect()
            let auth = AuthStore(db: db)
            let token = try db.transaction {
                try auth.issueToken(userID: try auth.ensureUser(email: email, displayName: name), name: label)
            }
            print("token for \(email) (shown once; only its SHA-256 is stored):")
            print(token)
        }
    }
}
