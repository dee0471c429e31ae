// swift-tools-version: 6.2
//
// The libFuzzer binary: one executable whose LLVMFuzzerTestOneInput runs the target named by
// $LIFEBOAT_FUZZ_TARGET (see Sources/FuzzTargets in the root package). Built only by tools/fuzz:
//
//   swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//
// A separate package because libFuzzer supplies `main`: the root package's executables and tests
// must not be linked with it.
import PackageDescription

let package = Package(
    name: "LifeboatFuzz",
    dependencies: [.package(name: "Lifeboat", path: "..")],
    targets: [
        .executableTarget(name: "lifeboat-fuzz", dependencies: [.product(name: "FuzzTargets", package: "Lifeboat")]),
    ]
)
