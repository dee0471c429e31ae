// SHA-256 (FIPS 180-4) block compression with the x86 SHA extensions.
//
// The SHA instructions keep the eight working variables in two registers, {A,B,E,F} and
// {C,D,G,H} (most significant word first), and do two rounds per SHA256RNDS2 with W[t]+K[t] in
// the low two words of the third operand. SHA256MSG1/MSG2 compute the message schedule four
// words at a time:
//   W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]
// MSG1(G[i-4], G[i-3]) gives W[t-16] + s0(W[t-15]) for the four words of group i, ALIGNR brings
// in W[t-7] from groups i-2 and i-1, and MSG2(.., G[i-1]) adds the s1 terms.
#include "CHostSHA256.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int lifeboat_sha256_shani_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

__attribute__((target("sha,sse4.1,ssse3")))
void lifeboat_sha256_blocks_shani(uint32_t *state, const void *input, intptr_t blocks) {
    // Big-endian words of the message: reverse the bytes of each 32-bit lane.
    const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // state[0..3] = A B C D (A in the low lane), state[4..7] = E F G H.
    __m128i abcd = _mm_loadu_si128((const __m128i *)state);
    __m128i efgh = _mm_loadu_si128((const __m128i *)(state + 4));
    __m128i cdab = _mm_shuffle_epi32(abcd, 0xB1);    // lanes low..high: B A D C
    __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);    // lanes low..high: H G F E
    __m128i abef = _mm_alignr_epi8(cdab, hgfe, 8);   // low..high: F E B A
    __m128i cdgh = _mm_blend_epi16(hgfe, cdab, 0xF0);// low..high: H G D C

    const uint8_t *p = (const uint8_t *)input;
    for (intptr_t n = 0; n < blocks; n++, p += 64) {
        const __m128i savedABEF = abef, savedCDGH = cdgh;
        __m128i g[4];
        #pragma clang loop unroll(full)
        for (int i = 0; i < 16; i++) {
            __m128i w;
            if (i < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), byteSwap);
            } else {
                w = _mm_sha256msg1_epu32(g[i & 3], g[(i + 1) & 3]);
                w = _mm_add_epi32(w, _mm_alignr_epi8(g[(i + 3) & 3], g[(i + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(w, g[(i + 3) & 3]);
            }
            g[i & 3] = w;
            __m128i wk = _mm_add_epi32(w, _mm_load_si128((const __m128i *)(K + 4 * i)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);  // the new {A,B,E,F}
            // After two rounds the old {A,B,E,F} is the new {C,D,G,H}: the second call takes it
            // as such, and the names are right again after it.
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, savedABEF);
        cdgh = _mm_add_epi32(cdgh, savedCDGH);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);    // low..high: A B E F
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);    // low..high: G H C D
    abcd = _mm_blend_epi16(feba, dchg, 0xF0);        // A B C D
    efgh = _mm_alignr_epi8(dchg, feba, 8);           // E F G H
    _mm_storeu_si128((__m128i *)state, abcd);
    _mm_storeu_si128((__m128i *)(state + 4), efgh);
}

#else

int lifeboat_sha256_shani_available(void) { return 0; }

void lifeboat_sha256_blocks_shani(uint32_t *state, const void *input, intptr_t blocks) {
    (void)state; (void)input; (void)blocks;
}

#endif
