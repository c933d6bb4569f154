// swift-tools-version:6.0
import PackageDescription

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
        // The three C libraries, each behind a thin system-library module.
        .systemLibrary(name: "CFCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // All of the service's logic; testable without FastCGI or nginx.
        .target(name: "TicketSync", dependencies: ["CFCGI", "CLibPQ", "CCrypto"]),
        // The thin command-line entry point.
        .executableTarget(
            name: "ticketsync",
            dependencies: ["TicketSync", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "TicketSyncTests", dependencies: ["TicketSync"], exclude: ["Fixtures"]),
    ]
)
