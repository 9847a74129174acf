/*
 * lb/balance_leastconn.c - weighted least active requests.
 *
 * Picks the usable member with the smallest (active + 1) / weight: the
 * one whose share of the load would be lightest once it takes this
 * request.  Counting the request being placed keeps weights meaningful
 * at low load: with weights 3:1 and nothing active, 0/3 and 0/1 would
 * tie, whereas 1/3 < 1/1 sends the first request to the heavy member.
 *
 * `active` is shared by all threads and maintained by the caller
 * (incremented when a request is placed, decremented when it ends); it
 * is read here without ordering, since a count one request stale only
 * shifts one pick.  Among equal members the pick rotates: each balancer
 * (one per thread) starts its scan just past its previous pick.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "balance.h"
#include "balance_impl.h"

struct lc_state {
	size_t next;		/* where the next scan starts */
};

/* A member's load, as the fraction num / den. */
struct lc_load {
	uint64_t num;		/* active + 1 */
	uint64_t den;		/* weight */
};

static int
lc_init(struct lb_balancer *b)
{
	struct lc_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -1;
	b->state = st;
	return 0;
}

static struct lc_load
lc_load_of(const struct lb_member *m)
{
	struct lc_load l;

	l.num = (uint64_t)lb_member_load(m) + 1;
	l.den = lb_balance_weight(m);
	return l;
}

/*
 * a < b, cross-multiplied: num fits in 33 bits (two 32-bit counts plus
 * one) and den in 15 (weight times LB_WEIGHT_SCALE), so the products
 * cannot overflow 64.
 */
static bool
lc_lighter(struct lc_load a, struct lc_load b)
{
	return a.num * b.den < b.num * a.den;
}

static struct lb_member *
lc_pick(struct lb_balancer *b, const void *key, size_t keylen,
    const struct lb_member *avoid)
{
	struct lc_state *st = b->state;
	struct lb_member *best = NULL;
	struct lc_load bestload = { 0, 0 };
	size_t besti = 0;

	(void)key;
	(void)keylen;
	for (size_t k = 0; k < b->nmembers; k++) {
		size_t i = st->next + k;	/* next < nmembers */
		struct lb_member *m;
		struct lc_load l;

		if (i >= b->nmembers)
			i -= b->nmembers;
		m = b->members[i];
		if (m == avoid || !lb_member_open(m))
			continue;
		l = lc_load_of(m);
		if (best == NULL || lc_lighter(l, bestload)) {
			best = m;
			bestload = l;
			besti = i;
		}
	}
	if (best == NULL)
		return lb_balance_fallback(b, avoid);
	st->next = besti + 1 < b->nmembers ? besti + 1 : 0;
	return best;
}

static void
lc_fini(struct lb_balancer *b)
{
	free(b->state);
	b->state = NULL;
}

const struct lb_balancer_ops lb_balance_leastconn = {
	.name = "leastconn",
	.init = lc_init,
	.pick = lc_pick,
	.fini = lc_fini,
};
