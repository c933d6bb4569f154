import Foundation
import TicketSyncPlatform

/// What a handler sees: the request, its path parameters, the caller and the worker's database connection.
public final class RequestContext {
    public let request: HTTPRequest
    /// The path's parameters; on org routes the ids in canonical (lower-case) UUID text once authorized.
    public internal(set) var parameters: [String: String]
    public let settings: Settings
    public let providers: ProviderRegistry
    let worker: WorkerDatabase
    /// Set by the application before an org route's handler runs.
    public internal(set) var principal: Principal?
    /// The rows of the route's `ReadQuery`, read with the authorization (empty for routes that declare none).
    public internal(set) var rows: [PGRow] = []

    init(
        request: HTTPRequest, parameters: [String: String], settings: Settings,
        providers: ProviderRegistry, worker: WorkerDatabase
    ) {
        self.request = request
        self.parameters = parameters
        self.settings = settings
        self.providers = providers
        self.worker = worker
    }

    /// The worker's own connection, reconnected if it was lost.
    public func database() throws -> PGConnection { try worker.connection() }

    /// The ticket and comment use cases on this worker's connection, with the path's evidence request (which the
    /// authorization statement already read: another org's request is a 404 like a missing one).
    func syncActions() throws -> (SyncActions, EvidenceRequest) {
        let request = try evidenceRequest()
        var actions = SyncActions(
            db: try database(), providers: providers, policy: settings.delivery,
            inlineTimeouts: settings.inlineTimeouts, createLeaseSeconds: 2 * settings.httpTimeouts.totalSeconds + 5)
        if let principal {
            actions.actor = .user(principal)
            actions.requester = (principal.email, principal.displayName)
        }
        return (actions, request)
    }

    /// The path's evidence request, which the authorization statement read: another org's request is a 404 like
    /// a missing one.
    func evidenceRequest() throws -> EvidenceRequest {
        _ = try uuidParameter("request_id")
        guard let request = principal?.evidenceRequest else { throw TicketError.noRequest }
        return request
    }

    /// The `{org_id}` of the path, already checked by the application for org routes.
    public var orgID: String { parameters["org_id"] ?? "" }

    /// A path parameter that must be a UUID; anything else is a missing resource (404).
    public func uuidParameter(_ name: String) throws -> String {
        guard let raw = parameters[name], let canonical = UUIDText.canonical(raw) else { throw APIError.notFound() }
        return canonical
    }

    /// The body parsed strictly (400 when it is not JSON), whatever its content type: inbound webhooks.
    public func parsedBody() throws -> JSONValue {
        do { return try JSONParser.parse(request.body) } catch { throw APIError.malformedJSON(error.message) }
    }

    /// The body as a JSON object, after the content type check (415) and strict parsing (400).
    public func jsonObjectBody() throws -> [String: JSONValue] {
        guard request.hasJSONContentType else { throw APIError.unsupportedMediaType }
        guard case .object(let members) = try parsedBody() else {
            throw APIError.invalidField("", "The request body must be a JSON object.")
        }
        return members
    }

    /// Routes that take no body accept none, or an empty JSON object (some clients always send one); anything else
    /// is refused (415 / 400 / 422) rather than silently dropped.
    public func requireNoBody() throws {
        guard !request.body.isEmpty else { return }
        guard request.hasJSONContentType else { throw APIError.unsupportedMediaType }
        guard try parsedBody() == .object([:]) else {
            throw APIError.invalidField("", "This endpoint takes no body (an empty JSON object is accepted).")
        }
    }
}

/// Canonical (lower-case) UUID text, or nil: 8-4-4-4-12 hex digits, either case, as `UUID(uuidString:)` accepts,
/// checked byte by byte (this runs for every path parameter; Foundation's parser goes through sscanf).
public enum UUIDText {
    public static func canonical(_ text: String) -> String? {
        guard text.utf8.count == 36 else { return nil }
        // Over the string's own bytes where it has them (a path parameter always does): no per-byte iterator.
        if let fast = text.utf8.withContiguousStorageIfAvailable({ canonical(bytes: $0) }) { return fast }
        return canonical(bytes: Array(text.utf8))
    }

    private static func canonical<Bytes: RandomAccessCollection<UInt8>>(bytes text: Bytes) -> String?
    where Bytes.Index == Int {
        String(unsafeUninitializedCapacity: 36) { output in
            var index = 0
            for byte in text {
                let out: UInt8
                switch (index, byte) {
                case (8, UInt8(ascii: "-")), (13, UInt8(ascii: "-")), (18, UInt8(ascii: "-")), (23, UInt8(ascii: "-")):
                    out = byte
                case (8, _), (13, _), (18, _), (23, _), (36..., _): return 0
                case (_, UInt8(ascii: "0")...UInt8(ascii: "9")), (_, UInt8(ascii: "a")...UInt8(ascii: "f")): out = byte
                case (_, UInt8(ascii: "A")...UInt8(ascii: "F")): out = byte + 32
                default: return 0
                }
                output[index] = out
                index += 1
            }
            return index == 36 ? 36 : 0
        }.nilIfEmpty
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
