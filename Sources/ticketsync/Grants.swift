import ArgumentParser
import TicketSync

struct Grants: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the GRANT statements that give an existing role what serve and deliver need (and no more).",
        discussion:
            "Run as the owner after each `ticketsync migrate`, e.g. `ticketsync grants --role ticketsync | psql`.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The runtime role (it must exist).") var role: String

    func run() throws {
        do {
            for statement in try RuntimeGrants(db: try database.connect()).statements(role: role) { print(statement) }
        } catch RuntimeGrants.Failure.noSuchRole(let name) {
            throw ValidationError("no role named '\(name)': create it first (CREATE ROLE \(name) LOGIN …)")
        }
    }
}
