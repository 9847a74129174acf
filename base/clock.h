/*
 * base/clock.h - CLOCK_MONOTONIC in milliseconds: the clock edged
 * measures intervals and deadlines with outside an event loop (inside
 * one, the loop's own ev_now).  Both processes read the same clock, so
 * a time one writes into shared memory means the same to the other.
 */
#ifndef EDGED_CLOCK_H
#define EDGED_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_ms_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Exact, to the millisecond. */
static inline uint64_t
clock_ms(void)
{
	return clock_ms_of(CLOCK_MONOTONIC);
}

/* Coarse (a few ms off) but cheap enough for every request. */
static inline uint64_t
clock_coarse_ms(void)
{
	return clock_ms_of(CLOCK_MONOTONIC_COARSE);
}

#endif /* EDGED_CLOCK_H */
