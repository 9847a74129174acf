/*
 * lb/balance_impl.h - helpers shared by the balancing algorithms
 * (balance_*.c).  Private to lb/; callers use balance.h.
 *
 * Everything here is static inline so that each algorithm still builds,
 * and is unit tested, from its own file alone.
 */
#ifndef EDGED_LB_BALANCE_IMPL_H
#define EDGED_LB_BALANCE_IMPL_H

#include <stddef.h>

#include "balance.h"
#include "health.h"
#include "member.h"

/*
 * The weight an algorithm computes with.  The configuration accepts
 * 1..256 only; a 0 that slipped through is taken as 1 so that no
 * algorithm divides by it or starves the member forever.
 */
static inline unsigned
lb_balance_weight(const struct lb_member *m)
{
	unsigned w = atomic_load_explicit(&m->weight, memory_order_relaxed);
	uint64_t since;

	if (w == 0)
		w = 1;
	if (m->slow_start_ms == 0 || (since = atomic_load_explicit(
	    &m->st->up_since_ms, memory_order_relaxed)) == 0)
		return w * LB_WEIGHT_SCALE;
	return lb_slow_start_weight(w, clock_coarse_ms() - since,
	    m->slow_start_ms);
}

/*
 * What every pick returns when no usable member other than avoid was
 * found: avoid itself when it belongs to b and is usable, else NULL.
 * Looked up in b->members so that the result is b's own, writable
 * pointer.
 */
static inline struct lb_member *
lb_balance_fallback(const struct lb_balancer *b,
    const struct lb_member *avoid)
{
	if (avoid == NULL)
		return NULL;
	for (size_t i = 0; i < b->nmembers; i++) {
		if (b->members[i] == avoid)
			return lb_member_usable(avoid) ? b->members[i] : NULL;
	}
	return NULL;
}

#endif /* EDGED_LB_BALANCE_IMPL_H */
