import MCUbootImage
import Testing

/// `boot_swap_tables`, row by row, and every combination against a reference reading of the table.
@Suite struct SwapTablesTests {
    typealias T = ImageTrailer

    static let erased = T(magic: .unset, imageOK: .unset, copyDone: .unset)

    @Test func rows() {
        // Row 1: a test request on the secondary.
        #expect(T.swapType(primary: Self.erased, secondary: T(magic: .good, imageOK: .unset, copyDone: .unset)) == .test)
        // Row 2: permanent (imgtool --pad --confirm sets image_ok in the secondary).
        #expect(T.swapType(primary: Self.erased, secondary: T(magic: .good, imageOK: .set, copyDone: .unset)) == .permanent)
        // Row 3: the primary holds a swapped-in test image, never confirmed.
        #expect(T.swapType(primary: T(magic: .good, imageOK: .unset, copyDone: .set), secondary: Self.erased) == .revert)
        // Confirmed: nothing to do.
        #expect(T.swapType(primary: T(magic: .good, imageOK: .set, copyDone: .set), secondary: Self.erased) == .none)
        // The secondary has priority over a pending revert.
        #expect(T.swapType(primary: T(magic: .good, imageOK: .unset, copyDone: .set), secondary: T(magic: .good, imageOK: .unset, copyDone: .unset)) == .test)
        // Garbage: never a swap.
        #expect(T.swapType(primary: Self.erased, secondary: T(magic: .bad, imageOK: .unset, copyDone: .unset)) == .none)
        #expect(T.swapType(primary: Self.erased, secondary: T(magic: .good, imageOK: .bad, copyDone: .unset)) == .none)
        #expect(T.swapType(primary: T(magic: .good, imageOK: .unset, copyDone: .bad), secondary: Self.erased) == .none)
    }

    /// All 3^6 combinations of (magic, image_ok, copy_done) × 2 slots against the table read
    /// literally, with "any" as a wildcard.
    @Test func everyCombinationMatchesTheTable() {
        let magics: [T.Magic] = [.good, .bad, .unset]
        let flags: [T.Flag] = [.set, .bad, .unset]
        enum M { case any, good }
        enum F { case any, set, unset }
        let table: [(M, M, F, F, F, T.SwapType)] = [
            (.any, .good, .any, .unset, .any, .test),
            (.any, .good, .any, .set, .any, .permanent),
            (.good, .any, .unset, .any, .set, .revert),
        ]
        func m(_ rule: M, _ v: T.Magic) -> Bool { rule == .any || v == .good }
        func f(_ rule: F, _ v: T.Flag) -> Bool { rule == .any || (rule == .set && v == .set) || (rule == .unset && v == .unset) }
        var count = 0
        for mp in magics { for ms in magics { for op in flags { for os in flags { for cp in flags { for cs in flags {
            let primary = T(magic: mp, imageOK: op, copyDone: cp)
            let secondary = T(magic: ms, imageOK: os, copyDone: cs)
            let expected = table.first { m($0.0, mp) && m($0.1, ms) && f($0.2, op) && f($0.3, os) && f($0.4, cp) }?.5 ?? .none
            #expect(T.swapType(primary: primary, secondary: secondary) == expected)
            count += 1
        } } } } } }
        #expect(count == 729)
    }
}
