import Foundation
import LifeboatHost
import Simulation

/// A layout file (pm_static.yml form) through the loader and `LayoutChecker`, against the shipped
/// boards. Oracle: a layout the checker finds no error in is one a simulated board can place its
/// slots in (`SimulatedBoard.checkSlots`, the board initializer's own check).
///
/// Input: one byte choosing the board (even: nrf52840dk, odd: nrf5340dk), then the YAML text.
enum LayoutFuzz {
    /// The shipped boards, read once from `Boards/` (found from the working directory upwards or
    /// from `$LIFEBOAT_ROOT`, as the CLI finds them).
    nonisolated(unsafe) static var boards: [BoardDescription]? = {
        guard let loader = DescriptorLoader.locate(),
            let a = try? loader.loadBoard("nrf52840dk"), let b = try? loader.loadBoard("nrf5340dk")
        else { return nil }
        return [a, b]
    }()

    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        guard let boards else { return v.check(false, "cannot find Boards/: run from the checkout or set LIFEBOAT_ROOT") }
        guard let selector = input.first else { return }
        let board = boards[Int(selector & 1)]
        let yaml = String(decoding: UnsafeRawBufferPointer(rebasing: input[1...]), as: UTF8.self)
        guard let layout = try? DescriptorLoader.parseLayout(yaml: yaml, name: "fuzz", path: "fuzz.yml") else { return }
        let checker = LayoutChecker(board: board, layout: layout)
        let problems = checker.check()
        _ = checker.render()
        guard !problems.contains(where: { $0.severity == .error }) else { return }
        do {
            // What `SimulatedBoard(board:layout:…)` checks of the slots, without building its flash.
            try SimulatedBoard.checkSlots(board: board, layout: layout)
        } catch {
            v.check(false, "layout check passes, but the simulator refuses the layout: \(error)")
        }
    }
}
