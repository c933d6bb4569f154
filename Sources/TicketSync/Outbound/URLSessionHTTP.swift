import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `OutboundHTTP` on the toolchain's URLSession (libcurl on Linux): https, proxies and connection reuse for free.
/// Redirects are refused, so a 3xx comes back as a response and counts as a failure.
public final class URLSessionHTTP: NSObject, OutboundHTTP, URLSessionTaskDelegate, @unchecked Sendable {
    private var session: URLSession!

    public override init() {
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    public func send(_ request: OutboundRequest, timeout: HTTPTimeouts) -> OutboundResult {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData,
                                    timeoutInterval: timeout.connect)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }

        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let task = session.dataTask(with: urlRequest) { data, response, error in
            if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in http.allHeaderFields {
                    if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
                }
                box.result = .response(status: http.statusCode, headers: headers, body: data.map { [UInt8]($0) } ?? [])
            } else {
                box.result = .failure(Self.describe(error))
            }
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + timeout.total) == .success else {
            task.cancel()
            return .failure("timed out after \(Int(timeout.total))s")
        }
        return box.result ?? .failure("no response")
    }

    /// Never follow a redirect: the 3xx itself is the answer.
    public func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                           newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    private static func describe(_ error: (any Error)?) -> String {
        guard let error = error as? URLError else { return "request failed" }
        switch error.code {
        case .timedOut: return "timed out"
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .networkConnectionLost: return "connection lost"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
            return "TLS handshake failed"
        default: return "request failed (\(error.code.rawValue))"
        }
    }

    private final class ResultBox: @unchecked Sendable {
        var result: OutboundResult?
    }
}
