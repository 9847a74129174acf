/*
 * lb/balance_hash.c - weighted rendezvous (highest random weight) hashing.
 *
 * For a key K every usable member m draws a number u(K, m), uniform in
 * (0, 1) and fixed for the pair, and scores weight / -ln(u); the highest
 * score wins.  -ln(u) / weight is an exponential variable of rate
 * `weight`, so m has the smallest (the highest score) with probability
 * weight(m) / total weight: the split is proportional.
 * A member's score does not depend on the others, so when one goes away
 * only the keys it was winning move, each to the runner-up for that key,
 * and when it returns exactly those keys come back.  The same runner-up
 * is what a pick that must avoid the winner returns.
 *
 * The cost is one hash mix and one log() per usable member per pick;
 * pools are small, and the key itself is hashed once per pick.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "balance.h"
#include "balance_impl.h"

/* b->state: one slot per b->members[i], in the same order. */
struct hash_slot {
	uint64_t seed;		/* the member's identity, mixed */
};

/*
 * A bijective 64-bit finaliser (the splitmix64 output function): every
 * input bit flips each output bit with probability about one half, which
 * FNV-1a alone does not give for short keys.
 */
static uint64_t
hash_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
hash_init(struct lb_balancer *b)
{
	struct hash_slot *slots;

	/* + 1: calloc(0) may return NULL, which must mean out of memory. */
	slots = calloc(b->nmembers + 1, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < b->nmembers; i++) {
		slots[i].seed = hash_mix(b->members[i]->hash_id);
	}
	b->state = slots;
	return 0;
}

/*
 * The score of a slot for a key hash.  The top 53 bits of the mix, plus
 * one half, over 2^53 give u strictly inside (0, 1), so ln(u) is finite
 * and negative and the score finite and positive.
 */
static double
hash_score(const struct hash_slot *s, double weight, uint64_t keyhash)
{
	uint64_t r = hash_mix(keyhash ^ s->seed);
	double u = ((double)(r >> 11) + 0.5) * 0x1p-53;

	return weight / -log(u);
}

static struct lb_member *
hash_pick(struct lb_balancer *b, const void *key, size_t keylen,
    const struct lb_member *avoid)
{
	struct hash_slot *slots = b->state;
	struct lb_member *best = NULL;
	double bestscore = 0;
	uint64_t keyhash;

	if (key == NULL)
		keylen = 0;
	keyhash = hash_mix(lb_hash_bytes(key, keylen));
	for (size_t i = 0; i < b->nmembers; i++) {
		struct lb_member *m = b->members[i];
		double score;

		if (m == avoid || !lb_member_open(m))
			continue;
		/* the weight is read each pick: edgectl may change it */
		score = hash_score(&slots[i], lb_balance_weight(m), keyhash);
		if (best == NULL || score > bestscore) {
			best = m;
			bestscore = score;
		}
	}
	if (best == NULL)
		return lb_balance_fallback(b, avoid);
	return best;
}

static void
hash_fini(struct lb_balancer *b)
{
	free(b->state);
	b->state = NULL;
}

const struct lb_balancer_ops lb_balance_hash = {
	.name = "hash",
	.init = hash_init,
	.pick = hash_pick,
	.fini = hash_fini,
};
