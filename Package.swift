// swift-tools-version: 6.2
//
// Lifeboat: an MCUboot-compatible serial-recovery bootloader in Swift.
//
// Layering (see DESIGN.md): portable modules (FlashKit, BootCrypto, SMP, MCUbootImage, DFUTarget,
// Recovery, Bootloader, MeshDFU, NRF) import nothing from the host and build as Embedded Swift (`tools/check-embedded`); host
// modules (Simulation, LifeboatHost, FuzzTargets, the `lifeboat` CLI) may use Foundation, Yams,
// swift-crypto and ArgumentParser. Every target declares each module it imports, directly
// (`tools/check-imports`, and `--explicit-target-dependency-import-check error` in tools/test).
import PackageDescription

/// Settings shared by every portable module. The Embedded restrictions themselves are enforced by
/// `tools/check-embedded`, which builds these targets for `armv7em-none-none-eabi`.
let portable: [SwiftSetting] = []

let package = Package(
    name: "Lifeboat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lifeboat", targets: ["lifeboat"]),
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
        .library(name: "LifeboatCore", targets: ["FlashKit", "BootCrypto", "SMP", "MCUbootImage", "DFUTarget", "Recovery", "Bootloader", "MeshDFU", "NRF"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Portable core.
        .target(name: "FlashKit", swiftSettings: portable),
        .target(name: "BootCrypto", swiftSettings: portable),
        .target(name: "SMP", swiftSettings: portable),
        .target(name: "MCUbootImage", dependencies: ["FlashKit", "BootCrypto"], swiftSettings: portable),
        .target(name: "DFUTarget", dependencies: ["SMP", "MCUbootImage", "BootCrypto", "FlashKit"], swiftSettings: portable),
        .target(name: "Recovery", dependencies: ["SMP", "DFUTarget", "MCUbootImage", "BootCrypto", "FlashKit"], swiftSettings: portable),
        .target(name: "Bootloader", dependencies: ["Recovery", "DFUTarget", "MCUbootImage", "FlashKit"], swiftSettings: portable),
        // The Bluetooth Mesh DFU target: Firmware Update Server (+ BLOB receive) over DFUTarget.
        .target(name: "MeshDFU", dependencies: ["DFUTarget", "MCUbootImage", "BootCrypto", "FlashKit"], swiftSettings: portable),
        .target(name: "NRF", dependencies: ["FlashKit"], swiftSettings: portable + [.enableExperimentalFeature("Volatile")]),

        // Host.
        // SHA-256 with the x86 SHA instructions (C: Swift has no intrinsics), behind BootCrypto's
        // `SHA256.Engine`; the portable modules never import it.
        .target(name: "CHostSHA256"),
        // Release builds skip the dynamic exclusivity checks of the flash models' hot paths (a
        // power-cut sweep makes millions of flash calls); debug builds and tests keep them.
        .target(
            name: "Simulation", dependencies: ["FlashKit", "SMP", "MCUbootImage", "DFUTarget", "Recovery", "Bootloader", "NRF"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "LifeboatHost",
            dependencies: [
                "SMP", "MCUbootImage", "BootCrypto", "Simulation", "FlashKit", "DFUTarget", "Recovery", "Bootloader", "MeshDFU", "CHostSHA256",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The libFuzzer targets as plain functions (host): the instrumented binary in Fuzz/ and the
        // corpus regression tests both call them.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "SMP", "Recovery", "DFUTarget", "MCUbootImage", "MeshDFU", "FlashKit", "Simulation", "LifeboatHost",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "lifeboat",
            dependencies: [
                "LifeboatHost", "Simulation", "Recovery", "SMP", "FlashKit", "MCUbootImage", "Bootloader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests.
        .testTarget(name: "FlashKitTests", dependencies: ["FlashKit", "Simulation"]),
        .testTarget(name: "BootCryptoTests", dependencies: ["BootCrypto"], exclude: ["Fixtures"]),
        .testTarget(name: "SMPTests", dependencies: ["SMP"]),
        .testTarget(name: "MCUbootImageTests", dependencies: ["MCUbootImage", "BootCrypto", "FlashKit", "Simulation"]),
        .testTarget(name: "RecoveryTests", dependencies: ["Recovery", "DFUTarget", "SMP", "FlashKit", "MCUbootImage", "BootCrypto", "Simulation"]),
        .testTarget(name: "MeshDFUTests", dependencies: ["MeshDFU", "DFUTarget", "MCUbootImage", "FlashKit"]),
        .testTarget(name: "BootloaderTests", dependencies: ["Bootloader", "DFUTarget", "Recovery", "MCUbootImage", "FlashKit", "Simulation", "LifeboatHost"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "FlashKit", "NRF", "Recovery", "SMP", "Bootloader", "MCUbootImage"]),
        .testTarget(name: "NRFTests", dependencies: ["NRF", "Simulation", "FlashKit"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "LifeboatHostTests",
            dependencies: ["LifeboatHost", "Simulation", "Recovery", "DFUTarget", "SMP", "FlashKit", "MCUbootImage", "BootCrypto", "Bootloader", "MeshDFU",
                           .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]
        ),
    ]
)
