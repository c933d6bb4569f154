import Foundation
import Synchronization

/// Named counters in memory that a master and all its workers map: every process adds to the same counters with
/// relaxed atomic adds, so the totals survive a worker's replacement and a reload (a new worker, even a new binary,
/// finds its series by name and goes on counting), and any worker can answer a scrape for all of them.
///
/// Layout: a 64-byte header (magic, capacity), then `capacity` entries of 256 bytes: state (0 free, 1 being
/// claimed, 2 ready), value, name length, name bytes. A series is found by hashing its name (linear probing) and
/// claimed with a compare-and-swap the first time any process registers it.
public final class MetricsRegion: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    static let magic: UInt64 = 0x5453_4D45_5452_0001
    /// The header's words (the whole mapping is always `byteSize` long).
    static let magicWord = 0
    static let capacityWord = 1
    static let capacity = 4096
    static let entryWords = 32
    static let headerBytes = 64
    static let nameBytes = (entryWords - 3) * 8
    static let byteSize = headerBytes + capacity * entryWords * 8

    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let base: UnsafeMutableRawPointer
    /// The shared file's descriptor, to hand to the workers; nil for a private region.
    public let fd: Int32?

    private init(base: UnsafeMutableRawPointer, fd: Int32?) {
        self.base = base
        self.fd = fd
        self.words = base.bindMemory(to: Atomic<UInt64>.self, capacity: Self.byteSize / 8)
    }

    deinit { munmap(base, Self.byteSize) }

    /// A region only this process (and threads) sees: `--workers 0`, tests.
    public static func anonymous() throws -> MetricsRegion {
        let region = MetricsRegion(base: try map(fd: -1, flags: MAP_SHARED | MAP_ANONYMOUS), fd: nil)
        region.writeHeader()
        return region
    }

    /// The master's: a file in /dev/shm (else the temporary directory), unlinked at once, so it lives exactly as
    /// long as some process holds it; workers receive its descriptor.
    public static func shared() throws -> MetricsRegion {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        // mkstemp replaces the name's last six characters, which must be X, with a unique suffix.
        let unique = String(repeating: "X", count: 6)
        var template = Array("\(directory)/ticketsync-metrics-\(unique)".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw Failure(description: "metrics: mkstemp in \(directory): \(errorText())") }
        unlink(template)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard ftruncate(fd, off_t(byteSize)) == 0 else {
            let reason = errorText()
            close(fd)
            throw Failure(description: "metrics: ftruncate: \(reason)")
        }
        do {
            let region = MetricsRegion(base: try map(fd: fd, flags: MAP_SHARED), fd: fd)
            region.writeHeader()
            return region
        } catch {
            close(fd)
            throw error
        }
    }

    /// A worker's view of its master's region (the inherited descriptor).
    public static func attach(fd: Int32) throws -> MetricsRegion {
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size == off_t(byteSize) else {
            throw Failure(description: "metrics: descriptor \(fd) is not a metrics region of this size")
        }
        let region = MetricsRegion(base: try map(fd: fd, flags: MAP_SHARED), fd: fd)
        guard region.words[magicWord].load(ordering: .acquiring) == magic,
            region.words[capacityWord].load(ordering: .relaxed) == UInt64(capacity)
        else {
            throw Failure(description: "metrics: descriptor \(fd) holds another layout")
        }
        return region
    }

    private static func map(fd: Int32, flags: Int32) throws -> UnsafeMutableRawPointer {
        guard let pointer = mmap(nil, byteSize, PROT_READ | PROT_WRITE, flags, fd, 0), pointer != MAP_FAILED else {
            throw Failure(description: "metrics: mmap: \(errorText())")
        }
        return pointer
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }

    private func writeHeader() {
        words[Self.capacityWord].store(UInt64(Self.capacity), ordering: .relaxed)
        words[Self.magicWord].store(Self.magic, ordering: .releasing)
    }

    private func entry(_ index: Int) -> Int { Self.headerBytes / 8 + index * Self.entryWords }

    /// The slot of a series, registering it on first use by any process; nil when the name is too long or the
    /// table is full (the series is then not counted; the caller logs it once).
    public func slot(_ series: String) -> Int? {
        let bytes = Array(series.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.nameBytes else { return nil }
        var index = Int(Self.hash(bytes) % UInt64(Self.capacity))
        for _ in 0..<Self.capacity {
            let word = entry(index)
            var state = words[word].load(ordering: .acquiring)
            if state == 0 {
                let (claimed, current) = words[word].compareExchange(
                    expected: 0, desired: 1, ordering: .acquiringAndReleasing)
                if claimed {
                    words[word + 2].store(UInt64(bytes.count), ordering: .relaxed)
                    (base + (word + 3) * 8).copyMemory(from: bytes, byteCount: bytes.count)
                    words[word].store(2, ordering: .releasing)
                    return word + 1
                }
                state = current
            }
            // Another process is writing this entry's name: it takes microseconds (one that died meanwhile leaves
            // the entry unusable, and the probe moves on).
            var spins = 0
            while state == 1 && spins < 100_000 {
                sched_yield()
                spins += 1
                state = words[word].load(ordering: .acquiring)
            }
            if state == 2 && name(at: word) == bytes { return word + 1 }
            index = (index + 1) % Self.capacity
        }
        return nil
    }

    private func name(at word: Int) -> [UInt8] {
        let length = Int(words[word + 2].load(ordering: .relaxed))
        guard length <= Self.nameBytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: base + (word + 3) * 8, count: length))
    }

    public func add(_ slot: Int, _ value: UInt64) {
        words[slot].wrappingAdd(value, ordering: .relaxed)
    }

    public func value(_ slot: Int) -> UInt64 { words[slot].load(ordering: .relaxed) }

    /// Every registered series and its value now.
    public func entries() -> [(name: String, value: UInt64)] {
        var found: [(name: String, value: UInt64)] = []
        for index in 0..<Self.capacity {
            let word = entry(index)
            guard words[word].load(ordering: .acquiring) == 2 else { continue }
            found.append((String(decoding: name(at: word), as: UTF8.self), value(word + 1)))
        }
        return found
    }

    /// FNV-1a: stable across processes and binaries (Swift's Hasher is seeded per process).
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0100_0000_01b3
        }
        return hash
    }
}
