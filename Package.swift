// swift-tools-version:6.0
import Foundation
import PackageDescription

// Each tracker's folder holds the fake its end-to-end tests run (`Trackers/<Name>/Fake/`, Python): found here, so
// adding a tracker stays one folder and one registry line.
let trackersFolder = "Sources/TicketSync/Trackers"
let trackerFakes =
    ((try? FileManager.default.contentsOfDirectory(
        atPath: Context.packageDirectory + "/" + trackersFolder)) ?? [])
    .sorted()
    .filter { FileManager.default.fileExists(atPath: "\(Context.packageDirectory)/\(trackersFolder)/\($0)/Fake") }
    .map { "Trackers/\($0)/Fake" }

let package = Package(
    name: "ticketsync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ticketsync", targets: ["ticketsync"]),
        .library(name: "TicketSync", targets: ["TicketSync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The C libraries, each behind a thin system-library module.
        .systemLibrary(name: "CFCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Outbound HTTP: libcurl (which the toolchain's URLSession wraps) used directly, for what the SSRF guard
        // needs and URLSession hides: pinning the checked address, vetoing any other, capping the response.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // What any such service needs (FastCGI, HTTP, PostgreSQL client, JSON, crypto, outbound HTTP, metrics,
        // configuration): its own target, so that the compiler keeps it from naming a feature. The only user of the
        // C modules.
        .target(name: "TicketSyncPlatform", dependencies: ["CFCGI", "CLibPQ", "CCrypto", "CCurl"]),
        // All of the service's logic; testable without FastCGI or nginx.
        .target(name: "TicketSync", dependencies: ["TicketSyncPlatform"], exclude: trackerFakes),
        // The thin command-line entry point.
        .executableTarget(
            name: "ticketsync",
            dependencies: [
                "TicketSync", "TicketSyncPlatform", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What both test targets share (the recording outbound client); public API only.
        .target(
            name: "TicketSyncTestSupport", dependencies: ["TicketSync", "TicketSyncPlatform"], path: "Tests/Support"),
        // Unit tests: no database, no network (trackers' wire formats through the recording client).
        .testTarget(
            name: "TicketSyncTests", dependencies: ["TicketSync", "TicketSyncPlatform", "TicketSyncTestSupport"],
            exclude: ["Fixtures"]),
        // Tests against PostgreSQL (DATABASE_URL): stores, outbox, and the use cases with a recording tracker.
        .testTarget(
            name: "TicketSyncIntegrationTests",
            dependencies: ["TicketSync", "TicketSyncPlatform", "TicketSyncTestSupport"]),
    ]
)
