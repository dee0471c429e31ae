/// MCUboot's `boot_swap_tables` (`bootutil_public.c`): what an upgrade should do, from the
/// trailers of an image's primary and secondary slots. Rows are matched in order, so the
/// secondary slot has priority; no match is NONE.
///
/// ```
///  row  magic pri  magic sec  ok pri  ok sec  copy_done pri  →
///   1   any        GOOD       any     UNSET   any              TEST       (a test request)
///   2   any        GOOD       any     SET     any              PERMANENT  (imgtool --pad --confirm, or a
///                                                                          permanent request)
///   3   GOOD       any        UNSET   any     SET              REVERT     (a swapped-in test image
///                                                                          that was never confirmed)
/// ```
///
/// A BAD magic or flag matches neither GOOD/SET nor UNSET, so a garbled trailer leads to NONE:
/// boot what is in the primary slot, never swap on a trailer that cannot be read.
/// (Swap-using-offset's extra first row is not listed: Lifeboat does not implement that strategy.)
extension ImageTrailer {
    public static func swapType(primary: ImageTrailer, secondary: ImageTrailer) -> SwapType {
        if secondary.magic == .good && secondary.imageOK == .unset { return .test }
        if secondary.magic == .good && secondary.imageOK == .set { return .permanent }
        if primary.magic == .good && primary.imageOK == .unset && primary.copyDone == .set { return .revert }
        return .none
    }
}
