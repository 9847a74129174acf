/*
 * lb/balance_rr.c - smooth weighted round-robin.
 *
 * Each pick, every usable member earns its weight into its `current`
 * credit; the member with the most credit wins and pays back the total
 * weight of the members that took part.  From a start with no credit,
 * every W picks (W the sum of the weights) give each member exactly
 * `weight` of them, and the picks of a heavy member are spread out
 * rather than bunched: 5,1,1 gives a a b a c a a, not a a a a a b c.
 *
 * Only usable members take part.  One that does not (down, disabled,
 * draining, or this pick's avoid) sits out with its credit frozen and
 * resumes with it: credit only moves between members, never appears or
 * vanishes, so every credit stays within about the total weight however
 * members flap, and one that comes back is at most about a pick ahead or
 * behind.  (Zeroing it on return, the other obvious choice, makes or
 * destroys credit on every flap and strays further from the weights.)
 *
 * The credits are per balancer, that is per worker thread, so a pick
 * takes no lock.
 */
#include <stdint.h>
#include <stdlib.h>

#include "balance.h"
#include "balance_impl.h"

/* b->state: one slot per b->members[i], in the same order. */
struct rr_slot {
	int64_t current;	/* credit earned minus credit paid back */
};

static int
rr_init(struct lb_balancer *b)
{
	struct rr_slot *slots;

	/* + 1: calloc(0) may return NULL, which must mean out of memory. */
	slots = calloc(b->nmembers + 1, sizeof(*slots));
	if (slots == NULL)
		return -1;
	b->state = slots;
	return 0;
}

static struct lb_member *
rr_pick(struct lb_balancer *b, const void *key, size_t keylen,
    const struct lb_member *avoid)
{
	struct rr_slot *slots = b->state;
	struct rr_slot *best = NULL;
	size_t besti = 0;
	int64_t total = 0;

	(void)key;
	(void)keylen;
	for (size_t i = 0; i < b->nmembers; i++) {
		struct rr_slot *s = &slots[i];
		int64_t w;

		if (b->members[i] == avoid || !lb_member_open(b->members[i]))
			continue;
		/* read each pick: edgectl may change a weight at run time */
		w = lb_balance_weight(b->members[i]);
		s->current += w;
		total += w;
		if (best == NULL || s->current > best->current) {
			best = s;
			besti = i;
		}
	}
	if (best == NULL)
		return lb_balance_fallback(b, avoid);
	best->current -= total;
	return b->members[besti];
}

static void
rr_fini(struct lb_balancer *b)
{
	free(b->state);
	b->state = NULL;
}

const struct lb_balancer_ops lb_balance_rr = {
	.name = "roundrobin",
	.init = rr_init,
	.pick = rr_pick,
	.fini = rr_fini,
};
