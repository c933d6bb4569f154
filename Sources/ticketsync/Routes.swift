import ArgumentParser
import TicketSync

/// Prints the route table (`METHOD PATH` per line), so tests can hold openapi.yaml to it.
struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the routes the responder answers.")

    func run() throws {
        let application = Application(settings: Settings(environment: [:]), expectedSchemaVersion: 0)
        for route in application.router.routes { print("\(route.method) \(route.pattern)") }
    }
}
