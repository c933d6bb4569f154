import CCurl
import Foundation

/// `OutboundHTTP` on libcurl. Redirects are never followed (a 3xx comes back as the answer), bodies are capped,
/// and a request that carries an `OutboundGuard` connects only to the addresses the guard approved.
public final class CurlHTTP: OutboundHTTP, @unchecked Sendable {
    /// A tracker's answer larger than this fails the call as a tracker error (TICKET_HTTP_MAX_RESPONSE_BYTES).
    let maxResponseBytes: Int

    /// Limits a handle to http and https (CURLOPT_PROTOCOLS_STR): a libcurl that cannot (older than 7.85, or built
    /// without the option) fails every call instead of sending it unrestricted. Replaceable in tests.
    let restrictProtocols: @Sendable (UnsafeMutableRawPointer) -> CURLcode
    /// Host name lookups of guarded calls, bounded by the call's connect timeout.
    let resolver: HostResolver

    /// curl_global_init is run once, before the first handle, from whichever thread gets here first.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(
        maxResponseBytes: Int = 1 << 20, resolver: HostResolver = .system,
        restrictProtocols: @escaping @Sendable (UnsafeMutableRawPointer) -> CURLcode = {
            ccurl_setopt_string($0, CURLOPT_PROTOCOLS_STR, "http,https")
        }
    ) {
        self.maxResponseBytes = maxResponseBytes
        self.resolver = resolver
        self.restrictProtocols = restrictProtocols
        _ = Self.initialized
    }

    public func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        guard let host = request.url.host, let scheme = request.url.scheme?.lowercased() else {
            return .failure("bad URL")
        }
        var approved: [IPAddress] = []
        var timeout = timeout
        if let check = request.guarded {
            // The lookup is part of the call: it gets the connect timeout, and what it took comes off the total.
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                approved = try check.approve(
                    request.url, within: min(timeout.connect, timeout.total), resolver: resolver)
            } catch let refusal as OutboundGuard.Refusal {
                return .failure(Self.describe(refusal))
            } catch {
                return .failure("refused: \(error)")
            }
            let spent = Double(DispatchTime.now().uptimeNanoseconds &- started) / 1_000_000_000
            timeout.total = max(timeout.total - spent, 0.001)
            timeout.connect = min(timeout.connect, timeout.total)
        }
        guard let handle = curl_easy_init() else { return .failure("request failed (no handle)") }
        defer { curl_easy_cleanup(handle) }
        let pin = ccurl_pin_new()
        defer { ccurl_pin_free(pin) }
        var lists: [UnsafeMutablePointer<curl_slist>?] = []
        defer { lists.forEach { curl_slist_free_all($0) } }

        let received = Received(limit: maxResponseBytes)
        let context = Unmanaged.passUnretained(received).toOpaque()
        // The options that keep the call where it was checked to go: one that does not take fails the call.
        var confined = [
            ccurl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString),
            ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),  // threads: never longjmp out of a resolver timeout
            ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0),
            restrictProtocols(handle),
            ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, HTTPTimeouts.milliseconds(timeout.connect)),
            ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, HTTPTimeouts.milliseconds(timeout.total)),
            ccurl_setopt_receivers(handle, Self.onBody, Self.onHeader, context),
        ]

        if request.guarded != nil {
            guard pin != nil else { return .failure("request failed (no memory to pin the address)") }
            // No proxy (it would be connected to instead), and the checked addresses pinned for this host.
            confined.append(ccurl_setopt_string(handle, CURLOPT_PROXY, ""))
            let port = request.url.port ?? (scheme == "https" ? 443 : 80)
            for address in approved {
                var bytes = address.bytes
                _ = ccurl_pin_add(pin, address.isIPv4 ? AF_INET : AF_INET6, &bytes)
            }
            if IPAddress(literal: host) == nil {
                let literals = approved.map { $0.isIPv4 ? "\($0)" : "[\($0)]" }.joined(separator: ",")
                let resolve = curl_slist_append(nil, "\(host):\(port):\(literals)")
                lists.append(resolve)
                confined.append(ccurl_setopt_slist(handle, CURLOPT_RESOLVE, resolve))
            }
            confined.append(ccurl_setopt_pin(handle, pin))
        }
        if let failed = confined.first(where: { $0 != CURLE_OK }) {
            return .failure("request failed (libcurl did not take a required option: curl \(failed.rawValue))")
        }

        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        // The API request this call is made for (none for the delivery loop's own calls): trackers can log it too.
        if let requestID = ServerLog.requestID, RequestID.isWellFormed(requestID),
            !request.headers.keys.contains(where: { $0.lowercased() == "x-request-id" })
        {
            headers = curl_slist_append(headers, "X-Request-Id: \(requestID)")
        }
        for (name, value) in request.headers {
            // Header injection is impossible by construction: values never carry line breaks from here.
            let clean = value.filter { $0 != "\r" && $0 != "\n" }
            headers = curl_slist_append(headers, "\(name): \(clean)")
        }
        lists.append(headers)
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)

        let method = request.method.uppercased()
        let result: CURLcode = request.body.withUnsafeBytes { body in
            switch method {
            case "GET": ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
            case "HEAD": ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
            default:
                ccurl_setopt_body(handle, body.baseAddress ?? UnsafeRawPointer(bitPattern: 1), body.count)
                ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
            }
            return curl_easy_perform(handle)
        }
        if let pin, pin.pointee.refused != 0 {
            return .failure("refused: the connection went to an address not checked")
        }
        guard result == CURLE_OK else {
            return .failure(Self.describe(result, timeout: timeout, limit: maxResponseBytes))
        }
        return .response(status: ccurl_response_code(handle), headers: received.headers, body: received.body)
    }

    /// A guard's refusal as a call's failure: a lookup that timed out or found nothing is not an address refused.
    private static func describe(_ refusal: OutboundGuard.Refusal) -> String {
        switch refusal.kind {
        case .refused: "refused: \(refusal.reason)"
        case .notFound: "host not found: \(refusal.reason)"
        case .timedOut, .busy: "host lookup timed out: \(refusal.reason)"
        }
    }

    private static func describe(_ code: CURLcode, timeout: HTTPTimeouts, limit: Int) -> String {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: "timed out after \(timeout.totalSeconds)s"
        case CURLE_COULDNT_CONNECT: "connection refused"
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: "host not found"
        case CURLE_WRITE_ERROR: "the response was larger than \(limit) bytes"
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            "TLS handshake failed"
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE: "connection lost"
        default: "request failed (curl \(code.rawValue))"
        }
    }

    /// What the callbacks collect: the body up to the cap, and the headers of the last response (not of a 100).
    private final class Received {
        let limit: Int
        var body: [UInt8] = []
        var headers: [String: String] = [:]

        init(limit: Int) { self.limit = limit }
    }

    private static let onBody: ccurl_data_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let received = Unmanaged<Received>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        // Returning less than was given makes libcurl fail the transfer with CURLE_WRITE_ERROR.
        guard received.body.count + length <= received.limit else { return 0 }
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            received.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
        return length
    }

    private static let onHeader: ccurl_data_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let received = Unmanaged<Received>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") {
            received.headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            received.headers[name] = value
        }
        return length
    }
}
