/*
 * lb/pick.h - choosing a member of a pool for one request: the pool's
 * algorithm over its primaries, then over its backups when no primary is
 * usable; round-robin for a hash algorithm whose key the request lacks;
 * and, for a retry, the next member that has not failed this request yet.
 */
#ifndef EDGED_LB_PICK_H
#define EDGED_LB_PICK_H

#include <stdbool.h>
#include <stddef.h>

#include "balance.h"

/* One pool's balancers on one thread (see lb_int.h). */
struct lb_pool_bal {
	struct lb_balancer primary;
	struct lb_balancer backup;
	struct lb_balancer fb_primary;	/* round-robin, for keyless requests */
	struct lb_balancer fb_backup;
	bool hash;			/* the algorithm needs a key */
	unsigned retry_rr;		/* where retries start looking */
};

/*
 * The member for a request with hash key key/keylen (NULL when it has
 * none).  failed[0..nfailed) are the members whose connect failed for
 * this request: with nfailed > 0 the pick is a retry, which takes the
 * next usable primary not among them, else such a backup.  NULL when no
 * member is usable.
 */
struct lb_member *lb_pick(struct lb_pool_bal *pb, const void *key,
    size_t keylen, struct lb_member *const *failed, unsigned nfailed);

#endif /* EDGED_LB_PICK_H */
