import ArgumentParser
import TicketSync

struct DemoSeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-seed", abstract: "Create the demo org, users, tokens and evidence requests (idempotent).")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let result = try DemoSeed(db: database.connect()).run()
        print("ORG_ID=\(result.orgID)")
        print("REQUEST_IDS=\(result.requestIDs.joined(separator: ","))")
        print("CONFIGURE_TOKEN=\(result.configureToken)")
        print("READ_TOKEN=\(result.readToken)")
    }
}
