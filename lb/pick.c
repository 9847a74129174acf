/*
 * lb/pick.c - see pick.h.
 */
#include "pick.h"

static bool
failed_before(const struct lb_member *m, struct lb_member *const *failed,
    unsigned nfailed)
{
	for (unsigned i = 0; i < nfailed; i++)
		if (failed[i] == m)
			return true;
	return false;
}

/* A retry: the next usable member of the tier that did not fail for this
 * request yet, in turn from a per-thread position.  Rare enough that a
 * scan is fine. */
static struct lb_member *
pick_untried(struct lb_pool_bal *pb, const struct lb_balancer *tier,
    struct lb_member *const *failed, unsigned nfailed)
{
	size_t n = tier->nmembers;

	for (size_t i = 0; i < n; i++) {
		size_t at = (pb->retry_rr + i) % n;
		struct lb_member *m = tier->members[at];

		if (lb_member_open(m) && !failed_before(m, failed, nfailed)) {
			/* the next retry starts after this one */
			pb->retry_rr = (unsigned)(at + 1);
			return m;
		}
	}
	return NULL;
}

struct lb_member *
lb_pick(struct lb_pool_bal *pb, const void *key, size_t keylen,
    struct lb_member *const *failed, unsigned nfailed)
{
	/* only a hash algorithm without its key falls back to round-robin */
	bool fallback = key == NULL && pb->hash;
	struct lb_balancer *pri = fallback ? &pb->fb_primary : &pb->primary;
	struct lb_balancer *bak = fallback ? &pb->fb_backup : &pb->backup;
	struct lb_member *m;

	if (nfailed > 0) {
		m = pick_untried(pb, &pb->primary, failed, nfailed);
		return m ? m : pick_untried(pb, &pb->backup, failed, nfailed);
	}
	m = pri->ops->pick(pri, key, keylen, NULL);
	if (m == NULL && bak->nmembers > 0)
		m = bak->ops->pick(bak, key, keylen, NULL);
	return m;
}
