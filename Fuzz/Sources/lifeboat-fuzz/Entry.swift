import FuzzTargets

#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (fd 2) without touching the C `stderr` global.
func report(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// The target this process fuzzes, chosen once from $LIFEBOAT_FUZZ_TARGET.
nonisolated(unsafe) var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard let name = getenv("LIFEBOAT_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        report("lifeboat-fuzz: set LIFEBOAT_FUZZ_TARGET to one of: \(names)")
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selected else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let violations = target.run(input)
    if !violations.isEmpty {
        // A broken invariant is a crash: libFuzzer saves and minimises the input.
        report("lifeboat-fuzz: \(target.rawValue): " + violations.joined(separator: "\n  "))
        abort()
    }
    return 0
}

/// libFuzzer's driver, for programs that have their own `main` (compiler-rt `FuzzerInterface.h`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable target's entry point as `<module>_main` (and points `main` at it),
/// so libFuzzer's own `main` is not used: this one hands over to libFuzzer's driver.
@_cdecl("lifeboat_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, { data, size in testOneInput(data, size) })
}
