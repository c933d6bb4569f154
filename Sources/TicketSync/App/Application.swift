import TicketSyncPlatform

/// Turns one HTTP request into one response: routing, authentication, org permission, and error mapping.
/// It knows nothing of FastCGI, so tests can drive it directly.
public struct Application: Sendable {
    public let settings: Settings
    public let providers: ProviderRegistry
    public let router: Router
    /// The newest migration version this build expects, for /readyz.
    public let expectedSchemaVersion: Int
    /// What `GET /metrics` reports: this process's counters, or (in a worker) all workers' in the master's region.
    public let metrics: Metrics?

    /// `metrics`: the region the master shares with its workers; nil: one of this process's own.
    public init(
        settings: Settings, expectedSchemaVersion: Int, http: (any OutboundHTTP)? = nil,
        keys: SecretKeyRing = .empty, metrics region: MetricsRegion? = nil
    ) {
        var router = Router()
        Self.registerRoutes(on: &router, expectedSchemaVersion: expectedSchemaVersion)
        let routes = router.routes.map { (method: $0.method, pattern: $0.pattern) }
        let metrics = region.map { Metrics(region: $0, routes: routes) } ?? Metrics.local(routes: routes)
        self.settings = settings
        self.providers = ProviderRegistry(
            settings: settings, http: http ?? CurlHTTP(maxResponseBytes: settings.maxResponseBytes),
            keys: keys, metrics: metrics)
        self.expectedSchemaVersion = expectedSchemaVersion
        self.router = router
        self.metrics = metrics
    }

    /// Every answer of the API: never cached (it carries tokens' data), never sniffed into another type.
    static let securityHeaders: [(name: String, value: String)] = [
        ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
    ]

    public func handle(_ request: HTTPRequest, database: WorkerDatabase) -> HTTPResponse {
        var route: Int?
        var response = respond(request, database: database, route: &route)
        response.route = route
        response.headers += Self.securityHeaders
        return response
    }

    private func respond(_ request: HTTPRequest, database: WorkerDatabase, route index: inout Int?) -> HTTPResponse {
        do {
            switch router.match(method: request.method, path: request.path) {
            case .notFound:
                throw APIError.notFound("No route for \(request.path).")
            case .methodNotAllowed(let allowed):
                throw APIError.methodNotAllowed(allowed)
            case .found(let route, let parameters):
                index = route.index
                let context = RequestContext(
                    request: request, parameters: parameters, settings: settings,
                    providers: providers, worker: database)
                switch route.access {
                case .open: break
                case .inbound(let source):
                    guard !source.secrets(settings).isEmpty else { throw APIError.inboundClosed(source) }
                case .org, .user, .connectionHook: break
                }
                if request.bodyTooLarge { throw APIError.bodyTooLarge(limit: settings.maxBodyBytes) }
                switch route.access {
                case .org(let required): try authorize(context, required: required, reads: route.reads)
                case .user: try authenticate(context, reads: route.reads)
                case .open, .inbound, .connectionHook: break
                }
                return try route.handler(context)
            }
        } catch let error as any HTTPResponseError {
            return error.response
        } catch let error as PGError where error.kind == .unavailable || error.sqlstate?.isTransient == true {
            // A lock another service holds, a statement over its timeout, a server restarting: try again shortly.
            if let state = error.sqlstate {
                ServerLog.warning("database busy (SQLSTATE \(state.rawValue)): \(error.message)")
            }
            return APIError.databaseUnavailable().response
        } catch {
            ServerLog.error("unhandled error: \(error)")
            return APIError.internalError.response
        }
    }

    /// 401 without a valid token.
    private func authenticate(_ context: RequestContext, reads: Router.Reader?) throws {
        guard let token = BearerToken.parse(context.request.header("authorization")) else {
            throw APIError.unauthorized
        }
        guard let principal = try principal(context, token: token, org: nil, request: nil, reads: reads, required: nil)
        else {
            throw APIError.unauthorized
        }
        context.principal = principal
    }

    /// 401 without a valid token; 404 when the caller is not a member of the org (as if it did not exist);
    /// 403 when the member lacks the permission the route needs.
    private func authorize(_ context: RequestContext, required: OrgPermission, reads: Router.Reader?) throws {
        guard let token = BearerToken.parse(context.request.header("authorization")) else {
            throw APIError.unauthorized
        }
        context.canonicalizeIDs()
        let org = UUIDText.canonical(context.orgID)
        let request = context.parameters["request_id"].flatMap(UUIDText.canonical)
        guard
            let principal = try principal(
                context, token: token, org: org, request: request, reads: reads, required: required)
        else {
            throw APIError.unauthorized
        }
        guard org != nil, let held = principal.permission else { throw APIError.notFound() }
        guard held >= required else {
            throw APIError.forbidden(
                "This action needs the org \(required.rawValue) permission; you have \(held.rawValue).")
        }
        context.principal = principal
    }

    /// The caller, with the route's rows read in the same statement. A route whose query cannot be built (a bad
    /// cursor, say) is still authorized first, so the caller sees 401 (and, on org routes, 404 and 403) before that 400.
    private func principal(
        _ context: RequestContext, token: String, org: String?, request: String?, reads: Router.Reader?,
        required: OrgPermission?
    ) throws -> Principal? {
        let auth = AuthStore(db: try context.database())
        let query: ReadQuery?
        do { query = try reads?(context) } catch {
            guard let principal = try auth.principal(token: token, org: org, request: request) else { return nil }
            // On an org route the 404 (not a member) and the 403 (not enough permission) come first.
            if let required, (principal.permission.map { $0 < required }) ?? true { return principal }
            throw error
        }
        let found: Principal?
        if let query {
            let read = try auth.authorizedRead(token: token, org: org, request: request, read: query)
            context.rows = read?.rows ?? []
            found = read?.principal
        } else {
            found = try auth.principal(token: token, org: org, request: request)
        }
        if let found, found.tokenUseIsStale { context.worker.tokenToTouch = found.tokenID.rawValue }
        return found
    }
}
