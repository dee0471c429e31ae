// SHA-256 block compression with the x86 SHA extensions, for the host only (the simulator's
// power-cut sweep and benchmarks). Portable code never sees this: it reaches BootCrypto as a
// `SHA256.Engine` built from these two functions.
#ifndef LIFEBOAT_CHOSTSHA256_H
#define LIFEBOAT_CHOSTSHA256_H

#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSSE3/SSE4.1), so that
/// `lifeboat_sha256_blocks_shani` may be called; 0 otherwise and on other architectures.
int lifeboat_sha256_shani_available(void);

/// Compresses `blocks` 64-byte blocks at `input` (any alignment) into `state`, the eight words
/// H0..H7 of FIPS 180-4 in order. Only when `lifeboat_sha256_shani_available()` is 1.
void lifeboat_sha256_blocks_shani(uint32_t *_Nonnull state, const void *_Nonnull input, intptr_t blocks);

#endif
