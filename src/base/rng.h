/*
 * rng.h - the project's two random-number primitives, with explicit state
 * (no globals). Every seeded draw in nntrace comes from one of them:
 * lesson initialisation, gradcheck's direction and the fast path's weights
 * and shuffles (rng_next); dropout masks, variant seeds and the fast path's
 * seeding (rng_mix). (tests/random_lesson.h keeps its own generator: the
 * random lessons the tests draw are fixed by it.)
 */
#ifndef NNTRACE_BASE_RNG_H
#define NNTRACE_BASE_RNG_H

#include <stdint.h>

/* splitmix64: x plus the golden-ratio increment, through the finaliser
 * that spreads every input bit over the output. Also a seed mixer. */
static inline uint64_t rng_mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* xorshift64*: advance *state (must not be 0) and return the next draw. */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* A uniform double in [0, 1) from the top 53 bits of a draw. */
static inline double rng_unit(uint64_t draw)
{
    return (double)(draw >> 11) * 0x1.0p-53;
}

#endif
