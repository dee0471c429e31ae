// The C side of Lifeboat's firmware: startup (vector table, reset handler), the few libc and
// compiler-runtime symbols Embedded Swift needs (the Swift toolchain ships no ARM runtime), the
// boot stage's heap, and the handover. Everything here is guarded so a host build of the package
// compiles it to nothing.
#ifndef LIFEBOAT_FIRMWARE_RUNTIME_H
#define LIFEBOAT_FIRMWARE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/// Starts the image whose vector table is at `vector_table`: VTOR, MSP from its first word, then
/// its reset handler. Does not return.
__attribute__((noreturn)) void lifeboat_start_image(uint32_t vector_table);

/// Starts this firmware again from its own reset handler (.data and .bss set up afresh, the
/// retained RAM kept): the emulator boards' reset, which must not reload QEMU's memory images.
__attribute__((noreturn)) void lifeboat_soft_reset(void);

/// A system reset through the core (SCB AIRCR SYSRESETREQ): the nRF boards' reset.
__attribute__((noreturn)) void lifeboat_system_reset(void);

/// The retained boot mode of boards without GPREGRET (mps2): a word of RAM that no reset clears
/// (`.noinit`, at the same address in the boot stage and the application, see the linker
/// scripts). `take` reads and clears it, so a request is honoured once.
uint32_t lifeboat_take_boot_mode(void);
void lifeboat_set_boot_mode(uint32_t mode);

/// Bus address of this image's vector table (an application's MCUboot header is 0x200 bytes
/// before it, with `imgtool --pad-header --header-size 0x200`).
uint32_t lifeboat_vector_table(void);

/// Stops with a breakpoint (QEMU: reported by the gdb stub, or an abort); used for an allocation (there is no heap).
__attribute__((noreturn)) void lifeboat_trap(void);

/// An empty, out-of-line call that ../shared/tools/cortex-m-icount records (the crypto bench's
/// phase boundaries). Costs nothing in images that do not call it (--gc-sections).
void icount_mark(uint32_t id);

#endif
