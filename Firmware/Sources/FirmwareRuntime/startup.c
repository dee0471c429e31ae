// Startup for Cortex-M (armv7em, armv8m.main, armv6m): vector table, reset handler, and the runtime
// symbols Embedded Swift code calls. Compiled with -ffreestanding -fno-builtin so the mem*
// loops below are not turned into calls to themselves.
#include "FirmwareRuntime.h"

#if defined(__arm__) && !defined(__linux__)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack, _heap_start, _heap_end;
extern int main(int argc, char **argv);

void Reset_Handler(void);
void Default_Handler(void);

__attribute__((section(".isr_vector"), used))
const void *const lifeboat_vectors[16] = {
    &_estack, (void *)Reset_Handler,
    (void *)Default_Handler, (void *)Default_Handler, (void *)Default_Handler, (void *)Default_Handler,
    (void *)Default_Handler, 0, 0, 0, 0,
    (void *)Default_Handler, (void *)Default_Handler, 0,
    (void *)Default_Handler, (void *)Default_Handler,
};

__attribute__((section(".noinit.0_boot_mode"), used)) static volatile uint32_t retained_boot_mode;

// Usage measurement, kept across soft resets (.noinit): at the first start after power-on the
// stack area is painted, and an attempted allocation records its size (see posix_memalign). A host
// (tools/qemu-run) reads both when it stops the board; see lifeboat_usage.
#define PAINT 0x5A5A5A5Au
#define USAGE_MAGIC 0x55534731u  /* "USG1" */
__attribute__((section(".noinit.1_usage"), used)) volatile uint32_t lifeboat_usage[2];  // magic, attempted allocation

uint32_t lifeboat_take_boot_mode(void) {
    uint32_t mode = retained_boot_mode;
    retained_boot_mode = 0;
    return mode;
}

void lifeboat_set_boot_mode(uint32_t mode) { retained_boot_mode = mode; }


__attribute__((noreturn)) void Reset_Handler(void) {
    if (lifeboat_usage[0] != USAGE_MAGIC) {
        // Paint from the stack's limit up to a little below where this function's frame is.
        uint32_t *sp = (uint32_t *)__builtin_frame_address(0) - 32;
        for (uint32_t *p = &_heap_end; p < sp; p++) *p = PAINT;
        lifeboat_usage[0] = USAGE_MAGIC;
        lifeboat_usage[1] = 0;
    }
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++) *dst = 0;
#if defined(__ARM_FP)
    // CP10/CP11 full access: Swift code may use the FPU (a NOCP fault otherwise).
    *(volatile uint32_t *)0xE000ED88 |= (0xFu << 20);
    __asm volatile("dsb; isb");
#endif
    main(0, 0);
    for (;;) {}
}

uint32_t lifeboat_vector_table(void) { return (uint32_t)lifeboat_vectors; }

__attribute__((noinline, used)) void icount_mark(uint32_t id) { __asm volatile("" ::"r"(id) : "memory"); }

void Default_Handler(void) {
    for (;;) {}
}

__attribute__((noreturn)) void lifeboat_trap(void) {
    for (;;) __asm volatile("bkpt 0");
}

__attribute__((noreturn)) void lifeboat_start_image(uint32_t vector_table) {
    __asm volatile("cpsid i");
#if !defined(__ARM_ARCH_6M__)
    *(volatile uint32_t *)0xE000ED08 = vector_table;  // SCB->VTOR
#endif
    // armv6m (Cortex-M0) has no VTOR: exceptions keep going to the table at 0, the boot stage's.
    // Neither the boot stage nor the sample applications take interrupts.
    // The table's first two words are read in assembly: the boot stage's own table sits at address
    // 0, and a C load through a pointer that is 0 is undefined behaviour the optimiser may delete.
    __asm volatile(
        "ldr r1, [%0, #4]\n"
        "ldr r0, [%0]\n"
        "msr msp, r0\n"
        "dsb\n"
        "isb\n"
        "bx r1\n" ::"r"(vector_table) : "r0", "r1", "memory");
    for (;;) {}
}

__attribute__((noreturn)) void lifeboat_soft_reset(void) {
    lifeboat_start_image((uint32_t)lifeboat_vectors);
}

__attribute__((noreturn)) void lifeboat_system_reset(void) {
    __asm volatile("dsb");
    *(volatile uint32_t *)0xE000ED0C = 0x05FA0004;  // AIRCR: VECTKEY | SYSRESETREQ
    __asm volatile("dsb");
    for (;;) {}
}

// Symbols the compiler itself calls (memory helpers, 64-bit shifts and division, the allocator of
// Embedded Swift's runtime). `used` keeps them through link-time optimization, which would
// otherwise drop them before code generation introduces the calls.
#define LIFEBOAT_RUNTIME __attribute__((used))

// No heap: nothing in the boot stage or the sample applications allocates (the recovery link's
// response buffer is lent by the caller, temporary buffers are below Embedded Swift's 1 KiB stack
// limit). An allocation is a bug, so the allocator stops the board at the allocation, and records
// the attempted size as the "heap peak" the host reads (tools/qemu-run prints it; qemu-e2e
// requires 0).
LIFEBOAT_RUNTIME int posix_memalign(void **out, size_t alignment, size_t size) {
    (void)out;
    (void)alignment;
    lifeboat_usage[1] = (uint32_t)size;
    lifeboat_trap();
}

LIFEBOAT_RUNTIME void free(void *ptr) {
    if (ptr != 0) lifeboat_trap();
}

typedef uint32_t __attribute__((may_alias)) aliasing_word;

// Word stores when the destination is word-aligned (Swift zeroes 32-byte values before filling
// them), bytes for the rest.
LIFEBOAT_RUNTIME void *memset(void *d, int c, size_t n) {
    uint8_t *p = d;
    if (((uintptr_t)p & 3) == 0) {
        uint32_t w = (uint8_t)c * 0x01010101u;
        for (; n >= 4; n -= 4, p += 4) *(aliasing_word *)p = w;
    }
    while (n--) *p++ = (uint8_t)c;
    return d;
}

// Word copies when both ends are word-aligned (Swift copies values of 32 bytes and more through
// memcpy), four words per iteration, bytes for the rest.
LIFEBOAT_RUNTIME void *memcpy(void *d, const void *s, size_t n) {
    uint8_t *p = d;
    const uint8_t *q = s;
    if ((((uintptr_t)p | (uintptr_t)q) & 3) == 0) {
        aliasing_word *w = (aliasing_word *)p;
        const aliasing_word *v = (const aliasing_word *)q;
        for (; n >= 16; n -= 16, w += 4, v += 4) {
            aliasing_word a = v[0], b = v[1], c = v[2], e = v[3];
            w[0] = a; w[1] = b; w[2] = c; w[3] = e;
        }
        for (; n >= 4; n -= 4) *w++ = *v++;
        p = (uint8_t *)w;
        q = (const uint8_t *)v;
    }
    while (n--) *p++ = *q++;
    return d;
}

LIFEBOAT_RUNTIME void *memmove(void *d, const void *s, size_t n) {
    uint8_t *p = d;
    const uint8_t *q = s;
    if (p < q) {
        while (n--) *p++ = *q++;
    } else {
        p += n; q += n;
        while (n--) *--p = *--q;
    }
    return d;
}

LIFEBOAT_RUNTIME int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++) if (*p != *q) return *p - *q;
    return 0;
}

// The AEABI names are aliases of the functions above: one body each.
LIFEBOAT_RUNTIME void __aeabi_memcpy(void *d, const void *s, size_t n) __attribute__((alias("memcpy")));
LIFEBOAT_RUNTIME void __aeabi_memcpy4(void *d, const void *s, size_t n) __attribute__((alias("memcpy")));
LIFEBOAT_RUNTIME void __aeabi_memcpy8(void *d, const void *s, size_t n) __attribute__((alias("memcpy")));
LIFEBOAT_RUNTIME void __aeabi_memmove(void *d, const void *s, size_t n) __attribute__((alias("memmove")));
LIFEBOAT_RUNTIME void __aeabi_memmove4(void *d, const void *s, size_t n) __attribute__((alias("memmove")));
LIFEBOAT_RUNTIME void __aeabi_memmove8(void *d, const void *s, size_t n) __attribute__((alias("memmove")));
// memclr and memset take (dest, n[, c]): not memset's argument order, so a small body each.
LIFEBOAT_RUNTIME void __aeabi_memset(void *d, size_t n, int c) { memset(d, c, n); }
LIFEBOAT_RUNTIME void __aeabi_memset4(void *d, size_t n, int c) __attribute__((alias("__aeabi_memset")));
LIFEBOAT_RUNTIME void __aeabi_memset8(void *d, size_t n, int c) __attribute__((alias("__aeabi_memset")));
LIFEBOAT_RUNTIME void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
LIFEBOAT_RUNTIME void __aeabi_memclr4(void *d, size_t n) __attribute__((alias("__aeabi_memclr")));
LIFEBOAT_RUNTIME void __aeabi_memclr8(void *d, size_t n) __attribute__((alias("__aeabi_memclr")));

// 64-bit shifts (LLVM calls these at -Osize); 32-bit operations only, so they cannot recurse.
typedef union { uint64_t u; struct { uint32_t lo, hi; } w; } u64_words;

LIFEBOAT_RUNTIME uint64_t __aeabi_llsl(uint64_t v, int n) {
    u64_words x = {.u = v}, r;
    if (n == 0) return v;
    if (n >= 32) { r.w.hi = x.w.lo << (n - 32); r.w.lo = 0; }
    else { r.w.hi = (x.w.hi << n) | (x.w.lo >> (32 - n)); r.w.lo = x.w.lo << n; }
    return r.u;
}

LIFEBOAT_RUNTIME uint64_t __aeabi_llsr(uint64_t v, int n) {
    u64_words x = {.u = v}, r;
    if (n == 0) return v;
    if (n >= 32) { r.w.lo = x.w.hi >> (n - 32); r.w.hi = 0; }
    else { r.w.lo = (x.w.lo >> n) | (x.w.hi << (32 - n)); r.w.hi = x.w.hi >> n; }
    return r.u;
}

LIFEBOAT_RUNTIME int64_t __aeabi_lasr(int64_t v, int n) {
    u64_words x = {.u = (uint64_t)v}, r;
    if (n == 0) return v;
    if (n >= 32) { r.w.lo = (uint32_t)((int32_t)x.w.hi >> (n - 32)); r.w.hi = (uint32_t)((int32_t)x.w.hi >> 31); }
    else { r.w.lo = (x.w.lo >> n) | (x.w.hi << (32 - n)); r.w.hi = (uint32_t)((int32_t)x.w.hi >> n); }
    return (int64_t)r.u;
}

// 64-bit unsigned division. __aeabi_uldivmod returns the quotient in r0:r1 and the remainder in
// r2:r3, which C cannot express: a naked stub calls the C loop and loads the remainder.
LIFEBOAT_RUNTIME uint64_t lifeboat_udivmod64(uint64_t n, uint64_t d, uint64_t *remainder) {
    if (d == 0) { *remainder = n; return ~(uint64_t)0; }
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) { r -= d; q |= (uint64_t)1 << i; }
    }
    *remainder = r;
    return q;
}

LIFEBOAT_RUNTIME __attribute__((naked)) void __aeabi_uldivmod(void) {
    __asm volatile(
        "push {r4, lr}\n"
        "sub sp, sp, #16\n"
        "add r4, sp, #8\n"
        "str r4, [sp]\n"          // third argument: where the remainder goes
        "bl lifeboat_udivmod64\n"
        "ldr r2, [sp, #8]\n"
        "ldr r3, [sp, #12]\n"
        "add sp, sp, #16\n"
        "pop {r4, pc}\n");
}

#if defined(__ARM_ARCH_6M__)
// armv6m has no LDREX/STREX and no divide instruction. Embedded Swift's refcounting and
// `_Volatile` call the __atomic_* libcalls, and LLVM calls the __aeabi_*div helpers; the Swift
// toolchain ships no ARM runtime, so they are here. The core is single and nothing runs
// concurrently (no interrupts are enabled), but the read-modify-write ones still mask interrupts
// (PRIMASK, saved and restored) so they stay atomic if an interrupt handler is ever added. Aligned
// 32-, 16- and 8-bit loads and stores are single-copy atomic on armv6m, so those are plain
// volatile accesses (MMIO goes through them: one bus access of the width asked for). The asm
// labels give the libcall names without redeclaring the compiler's builtins; LIFEBOAT_RUNTIME
// keeps them through link-time optimization, as the helpers above.
static inline uint32_t irq_save(void) {
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}
static inline void irq_restore(uint32_t primask) { __asm volatile("msr primask, %0" ::"r"(primask) : "memory"); }

LIFEBOAT_RUNTIME uint8_t lifeboat_atomic_load_1(const volatile void *p, int order) __asm__("__atomic_load_1");
LIFEBOAT_RUNTIME uint8_t lifeboat_atomic_load_1(const volatile void *p, int order) { (void)order; return *(const volatile uint8_t *)p; }
LIFEBOAT_RUNTIME uint16_t lifeboat_atomic_load_2(const volatile void *p, int order) __asm__("__atomic_load_2");
LIFEBOAT_RUNTIME uint16_t lifeboat_atomic_load_2(const volatile void *p, int order) { (void)order; return *(const volatile uint16_t *)p; }
LIFEBOAT_RUNTIME uint32_t lifeboat_atomic_load_4(const volatile void *p, int order) __asm__("__atomic_load_4");
LIFEBOAT_RUNTIME uint32_t lifeboat_atomic_load_4(const volatile void *p, int order) { (void)order; return *(const volatile uint32_t *)p; }

LIFEBOAT_RUNTIME void lifeboat_atomic_store_1(volatile void *p, uint8_t v, int order) __asm__("__atomic_store_1");
LIFEBOAT_RUNTIME void lifeboat_atomic_store_1(volatile void *p, uint8_t v, int order) { (void)order; *(volatile uint8_t *)p = v; }
LIFEBOAT_RUNTIME void lifeboat_atomic_store_2(volatile void *p, uint16_t v, int order) __asm__("__atomic_store_2");
LIFEBOAT_RUNTIME void lifeboat_atomic_store_2(volatile void *p, uint16_t v, int order) { (void)order; *(volatile uint16_t *)p = v; }
LIFEBOAT_RUNTIME void lifeboat_atomic_store_4(volatile void *p, uint32_t v, int order) __asm__("__atomic_store_4");
LIFEBOAT_RUNTIME void lifeboat_atomic_store_4(volatile void *p, uint32_t v, int order) { (void)order; *(volatile uint32_t *)p = v; }

LIFEBOAT_RUNTIME uint32_t lifeboat_atomic_exchange_4(volatile void *p, uint32_t v, int order) __asm__("__atomic_exchange_4");
LIFEBOAT_RUNTIME uint32_t lifeboat_atomic_exchange_4(volatile void *p, uint32_t v, int order) {
    (void)order;
    uint32_t saved = irq_save();
    uint32_t old = *(volatile uint32_t *)p;
    *(volatile uint32_t *)p = v;
    irq_restore(saved);
    return old;
}

#define LIFEBOAT_FETCH_OP(name, op)                                                      \
    LIFEBOAT_RUNTIME uint32_t lifeboat_atomic_fetch_##name##_4(volatile void *p, uint32_t v, int order) \
        __asm__("__atomic_fetch_" #name "_4");                                                           \
    LIFEBOAT_RUNTIME uint32_t lifeboat_atomic_fetch_##name##_4(volatile void *p, uint32_t v, int order) { \
        (void)order;                                                                     \
        uint32_t saved = irq_save();                                                     \
        uint32_t old = *(volatile uint32_t *)p;                                          \
        *(volatile uint32_t *)p = old op v;                                              \
        irq_restore(saved);                                                              \
        return old;                                                                      \
    }
LIFEBOAT_FETCH_OP(add, +)
LIFEBOAT_FETCH_OP(sub, -)
LIFEBOAT_FETCH_OP(and, &)
LIFEBOAT_FETCH_OP(or, |)
LIFEBOAT_FETCH_OP(xor, ^)

LIFEBOAT_RUNTIME _Bool lifeboat_atomic_compare_exchange_4(volatile void *p, void *expected, uint32_t desired, _Bool weak,
                                         int success, int failure) __asm__("__atomic_compare_exchange_4");
LIFEBOAT_RUNTIME _Bool lifeboat_atomic_compare_exchange_4(volatile void *p, void *expected, uint32_t desired, _Bool weak,
                                         int success, int failure) {
    (void)weak; (void)success; (void)failure;
    uint32_t saved = irq_save();
    uint32_t current = *(volatile uint32_t *)p;
    _Bool equal = current == *(uint32_t *)expected;
    if (equal) *(volatile uint32_t *)p = desired;
    else *(uint32_t *)expected = current;
    irq_restore(saved);
    return equal;
}

LIFEBOAT_RUNTIME void lifeboat_sync_synchronize(void) __asm__("__sync_synchronize");
LIFEBOAT_RUNTIME void lifeboat_sync_synchronize(void) { __asm volatile("dmb" ::: "memory"); }

// 32-bit division by shift and subtract, 32-bit operations only (a / or % here would call these
// very functions). A zero divisor gives the quotient 0xFFFFFFFF and the dividend as remainder
// (Swift checks its divisors before dividing, so Swift code never gets here with one).
__attribute__((noinline)) static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *remainder) {
    if (d == 0) { *remainder = n; return 0xFFFFFFFFu; }
    uint32_t q = 0, r = 0;
    for (int i = 31; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) { r -= d; q |= 1u << i; }
    }
    *remainder = r;
    return q;
}

static uint32_t magnitude(int32_t v) { return v < 0 ? 0u - (uint32_t)v : (uint32_t)v; }

LIFEBOAT_RUNTIME uint32_t __aeabi_uidiv(uint32_t n, uint32_t d) {
    uint32_t r;
    return udivmod32(n, d, &r);
}

LIFEBOAT_RUNTIME int32_t __aeabi_idiv(int32_t n, int32_t d) {
    uint32_t r;
    uint32_t q = udivmod32(magnitude(n), magnitude(d), &r);
    return (int32_t)((n < 0) != (d < 0) ? 0u - q : q);
}

// The divmod helpers return the quotient in r0 and the remainder in r1: under the AAPCS, a 64-bit
// return value with the quotient in its low word.
LIFEBOAT_RUNTIME uint64_t __aeabi_uidivmod(uint32_t n, uint32_t d) {
    uint32_t r;
    uint32_t q = udivmod32(n, d, &r);
    u64_words out = {.w = {q, r}};
    return out.u;
}

// 64-bit multiply (the low 64 bits of the product; the same for signed and unsigned). A 32 × 32 →
// 64 product in C would call this very function, so the low words are multiplied in 16-bit halves
// (armv6m's MULS keeps only the low 32 bits of a product).
static u64_words mul32x32(uint32_t x, uint32_t y) {
    uint32_t xl = x & 0xFFFFu, xh = x >> 16, yl = y & 0xFFFFu, yh = y >> 16;
    uint32_t ll = xl * yl, lh = xl * yh, hl = xh * yl, hh = xh * yh;
    uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    u64_words r;
    r.w.lo = (ll & 0xFFFFu) | (mid << 16);
    r.w.hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    return r;
}

LIFEBOAT_RUNTIME uint64_t __aeabi_lmul(uint64_t a, uint64_t b) {
    u64_words x = {.u = a}, y = {.u = b};
    u64_words r = mul32x32(x.w.lo, y.w.lo);
    r.w.hi += x.w.lo * y.w.hi + x.w.hi * y.w.lo;
    return r.u;
}

LIFEBOAT_RUNTIME uint64_t __aeabi_idivmod(int32_t n, int32_t d) {
    uint32_t r;
    uint32_t q = udivmod32(magnitude(n), magnitude(d), &r);
    // C's truncating division: the quotient's sign from both operands, the remainder's from n's.
    u64_words out = {.w = {(n < 0) != (d < 0) ? 0u - q : q, n < 0 ? 0u - r : r}};
    return out.u;
}
#endif


#endif
