import Foundation
import TicketSyncPlatform

extension FastCGIServer {
    /// One accepted request: read, answer (with its request id), log its line with the database's part, then the
    /// writes that wait for the answer (a token's last use).
    static func serve(
        _ fastCGI: inout FastCGIRequest, acceptor: Acceptor, application: Application, database: WorkerDatabase
    ) {
        let started = DispatchTime.now().uptimeNanoseconds
        database.meter.reset()
        if fastCGI.onNewConnection { application.metrics?.connectionAccepted() }
        let request: HTTPRequest
        let outcome = fastCGI.read(maxBody: application.settings.maxBodyBytes)
        switch outcome {
        case .request(let incoming), .refused(let incoming, _): request = incoming
        }
        // Every log line and tracker call of this request carries its id.
        ServerLog.$requestID.withValue(request.requestID) {
            var response: HTTPResponse
            switch outcome {
            case .request(let incoming): response = application.handle(incoming, database: database)
            case .refused(_, let error): response = error.response
            }
            response.headers.append(("X-Request-Id", request.requestID))
            fastCGI.write(response)
            fastCGI.finish(to: acceptor)
            let nanoseconds = DispatchTime.now().uptimeNanoseconds &- started
            ServerLog.request(
                method: request.method, path: application.router.loggedPath(request.path, route: response.route),
                route: application.router.pattern(of: response.route), status: response.status,
                milliseconds: Double(nanoseconds) / 1_000_000, database: database.meter)
            application.record(response, nanoseconds: nanoseconds, database: database.meter)
            database.runDeferredWrites()
        }
    }
}
