import Foundation

/// The responder's listening socket, created here rather than by FCGX_OpenSocket, which unlinks a live
/// socket of another instance and calls exit() when bind fails.
public struct ListenSocket: Sendable {
    public enum Address: Equatable, Sendable {
        case unix(path: String)
        case tcp(host: String, port: UInt16)

        /// `host:port` (IPv4 literal or localhost) is TCP; anything else is a unix socket path.
        public static func parse(_ text: String) -> Address? {
            if let colon = text.lastIndex(of: ":"), !text.contains("/") {
                guard let port = UInt16(text[text.index(after: colon)...]), port > 0 else { return nil }
                let host = String(text[..<colon])
                return .tcp(host: host.isEmpty || host == "localhost" ? "127.0.0.1" : host, port: port)
            }
            return text.isEmpty ? nil : .unix(path: text)
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let fd: Int32
    public let address: Address

    /// Opens and listens. A unix socket gets `mode` (0660 by default) and, when given, the group nginx runs as.
    public static func open(_ address: Address, mode: mode_t = 0o660, group: String? = nil, backlog: Int32 = 1024)
        throws -> ListenSocket
    {
        switch address {
        case .unix(let path): return try openUnix(path: path, mode: mode, group: group, backlog: backlog)
        case .tcp(let host, let port): return try openTCP(host: host, port: port, backlog: backlog)
        }
    }

    public func close() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        _ = Glibc.close(fd)
        if case .unix(let path) = address { unlink(path) }
    }

    private static func openUnix(path: String, mode: mode_t, group: String?, backlog: Int32) throws -> ListenSocket {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        if FileManager.default.fileExists(atPath: path) {
            guard !isLive(&addr) else { throw Failure(description: "another process is listening on \(path)") }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "cannot bind \(path): \(reason)")
        }
        chmod(path, mode)
        if let group {
            guard let entry = getgrnam(group) else { throw Failure(description: "no such group: \(group)") }
            chown(path, uid_t.max, entry.pointee.gr_gid)
        }
        guard listen(fd, backlog) == 0 else {
            throw Failure(description: "listen(): \(String(cString: strerror(errno)))")
        }
        return ListenSocket(fd: fd, address: .unix(path: path))
    }

    /// A unix socket that accepts a connection belongs to a running instance: never steal it.
    private static func isLive(_ addr: inout sockaddr_un) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(probe) }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        } == 0
    }

    private static func openTCP(host: String, port: UInt16, backlog: Int32) throws -> ListenSocket {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            throw Failure(description: "not an IPv4 address: \(host)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "cannot listen on \(host):\(port): \(reason)")
        }
        return ListenSocket(fd: fd, address: .tcp(host: host, port: port))
    }
}
