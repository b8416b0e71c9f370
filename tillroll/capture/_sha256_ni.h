/* One SHA-256 block with the x86 SHA extensions (SHA-NI), for tillroll.capture._keyed_digest.
 *
 * The message schedule and the rounds are Intel's instructions (sha256msg1, sha256msg2,
 * sha256rnds2), two rounds an instruction; the arrangement of the state (ABEF / CDGH) and the
 * byte order follow Intel's white paper "Intel SHA Extensions" (2013) and the public-domain
 * reference of Jeffrey Walton (github.com/noloader/SHA-Intrinsics). Compiled for the SHA
 * extensions whatever the build's flags (a function attribute) and called only when the CPU
 * says it has them (CPUID leaf 7, EBX bit 29); elsewhere, and on other processors and
 * compilers, the portable C in _keyed_digest.pyx runs. Both are checked against hashlib. */
#ifndef TILLROLL_SHA256_NI_H
#define TILLROLL_SHA256_NI_H

#include <stdint.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

static int tillroll_sha_ni_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return 0;
    if (__get_cpuid_max(0, 0) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}

__attribute__((target("sha,sse4.1,ssse3")))
static void tillroll_sha256_ni_block(uint32_t *state, const unsigned char *data, const uint32_t *k) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i w[4], msg, tmp, abef, cdgh, abef_before, cdgh_before;
    int i;

    tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  /* CDAB */
    cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B); /* EFGH */
    abef = _mm_alignr_epi8(tmp, cdgh, 8);                                         /* ABEF */
    cdgh = _mm_blend_epi16(cdgh, tmp, 0xF0);                                      /* CDGH */
    abef_before = abef;
    cdgh_before = cdgh;

    for (i = 0; i < 4; i++)
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), swap);
    for (i = 0; i < 16; i++) {  /* four rounds a turn: words 4i..4i+3 */
        msg = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&k[4 * i]));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(msg, 0x0E));
        if (i < 12) {  /* words 4i+16..4i+19, in the place of the words just used */
            tmp = _mm_add_epi32(_mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]),
                                _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
            w[i & 3] = _mm_sha256msg2_epu32(tmp, w[(i + 3) & 3]);
        }
    }

    abef = _mm_add_epi32(abef, abef_before);
    cdgh = _mm_add_epi32(cdgh, cdgh_before);
    tmp = _mm_shuffle_epi32(abef, 0x1B);                                    /* FEBA */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);                                   /* DCHG */
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(tmp, cdgh, 0xF0)); /* DCBA */
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(cdgh, tmp, 8));    /* HGFE */
}
#else
static int tillroll_sha_ni_available(void) { return 0; }
static void tillroll_sha256_ni_block(uint32_t *state, const unsigned char *data, const uint32_t *k) {
    (void)state; (void)data; (void)k;
}
#endif

#endif
