// swift-tools-version: 6.2
//
// Lifeboat's firmware: the boot stage and a sample application per board, cross-compiled as
// Embedded Swift. Built only by tools/build-firmware (one product at a time, for the board's
// triple, with its linker script); a separate package so that the root package's host build and
// tests never see startup code or linker scripts.
import PackageDescription

let package = Package(
    name: "LifeboatFirmware",
    dependencies: [.package(name: "Lifeboat", path: "..")],
    targets: [
        // Startup, libc/compiler-runtime symbols, an allocator that traps, handover (C).
        .target(name: "FirmwareRuntime"),
        // The trusted keys and the signature algorithm of this build: TrustedKeys.swift is written
        // by tools/build-firmware (--crypto) before each build and is not checked in.
        .target(name: "FirmwareKeys", dependencies: [.product(name: "LifeboatCore", package: "Lifeboat")]),
        // The board-independent boot stage: decision, handover, recovery loop.
        .target(
            name: "BootStage",
            dependencies: ["FirmwareRuntime", .product(name: "LifeboatCore", package: "Lifeboat")],
            swiftSettings: [.enableExperimentalFeature("Volatile")]  // CMSDKUART
        ),
        // The nRF boards' shared wiring: UARTE (or nRF51 UART) console, button, GPREGRET, NVMC, sample application.
        .target(
            name: "NRFBoard",
            dependencies: ["BootStage", "FirmwareRuntime", "FirmwareKeys", .product(name: "LifeboatCore", package: "Lifeboat")]
        ),
        .executableTarget(
            name: "boot-qemu-mps2-an386",
            dependencies: ["BootStage", "FirmwareRuntime", "FirmwareKeys", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/Boards/qemu-mps2-an386", exclude: ["boot.ld"]
        ),
        .executableTarget(
            name: "app-qemu-mps2-an386",
            dependencies: ["BootStage", "FirmwareRuntime", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/SampleApps/qemu-mps2-an386", exclude: ["app.ld"]
        ),
        .executableTarget(
            name: "boot-nrf52840dk",
            dependencies: ["NRFBoard", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/Boards/nrf52840dk", exclude: ["boot.ld"]
        ),
        .executableTarget(
            name: "app-nrf52840dk",
            dependencies: ["NRFBoard", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/SampleApps/nrf52840dk", exclude: ["app.ld"]
        ),
        .executableTarget(
            name: "boot-nrf5340dk",
            dependencies: ["NRFBoard", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/Boards/nrf5340dk", exclude: ["boot.ld"]
        ),
        .executableTarget(
            name: "app-nrf5340dk",
            dependencies: ["NRFBoard", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/SampleApps/nrf5340dk", exclude: ["app.ld"]
        ),
        .executableTarget(
            name: "boot-qemu-microbit",
            dependencies: ["NRFBoard", "FirmwareRuntime", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/Boards/qemu-microbit", exclude: ["boot.ld"]
        ),
        .executableTarget(
            name: "app-qemu-microbit",
            dependencies: ["NRFBoard", "BootStage", "FirmwareRuntime", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/SampleApps/qemu-microbit", exclude: ["app.ld"]
        ),
        // Instruction counts of SHA-256 and P-256 verification on Cortex-M4 (tools/icount-crypto).
        .executableTarget(
            name: "icount-crypto",
            dependencies: ["FirmwareRuntime", .product(name: "LifeboatCore", package: "Lifeboat")],
            path: "Sources/Bench/icount-crypto", exclude: ["icount.ld"]
        ),
    ]
)
