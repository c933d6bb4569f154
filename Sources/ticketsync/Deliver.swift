import ArgumentParser
import Foundation
import TicketSync
import TicketSyncPlatform

struct Deliver: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the outbox delivery loop as its own process, until SIGTERM or SIGINT.")

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = Settings(environment: environment)
        ServerLog.format = settings.logFormat
        guard !settings.databaseURL.isEmpty else { throw ValidationError("set DATABASE_URL") }
        let keys = try StartupChecks.run(settings: settings, environment: environment)
        ShutdownSignals.block()
        let providers = ProviderRegistry(
            settings: settings, http: CurlHTTP(maxResponseBytes: settings.maxResponseBytes), keys: keys)
        let rests = LaneRests(milliseconds: settings.deliveryPollMilliseconds)
        let loops = (0..<settings.deliveryLoops).map { _ in
            DeliveryLoop(settings: settings, providers: providers, rests: rests)
        }
        loops.forEach { $0.start() }
        ServerLog.info("\(loops.count) delivery loops running")
        ShutdownSignals.wait()
        loops.forEach { $0.stop() }
        ServerLog.info("delivery loops stopped")
    }
}
