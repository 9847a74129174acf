/*
 * lb/balance.h - the interface every balancing algorithm implements.
 *
 * A balancer is one algorithm applied to one set of members (a pool's
 * primaries, or its backups) on behalf of one worker thread: state such as
 * the smooth round-robin weights is per thread, so picking takes no lock.
 * Shared state (least-conn's active counts) lives in the members.
 *
 * Algorithms, one file each:
 *   lb_balance_rr         smooth weighted round-robin (balance_rr.c)
 *   lb_balance_leastconn  weighted least active requests, ties rotate
 *                         (balance_leastconn.c)
 *   lb_balance_hash       weighted rendezvous hashing of a key: consistent
 *                         (a member that goes away moves only its own
 *                         keys) and weight-proportional (balance_hash.c)
 * ip-hash, uri, header and url-param are lb_balance_hash over different
 * keys; the keys are extracted by balance_key.c.
 */
#ifndef EDGED_LB_BALANCE_H
#define EDGED_LB_BALANCE_H

#include <stddef.h>
#include <sys/socket.h>

#include "member.h"

struct lb_balancer;

struct lb_balancer_ops {
	const char *name;
	/* Builds b->state for b->members.  Returns 0, or -1 out of memory. */
	int (*init)(struct lb_balancer *b);
	/*
	 * Returns a usable member (lb_member_usable), preferring one other
	 * than avoid (a member that just failed; may be NULL); avoid itself
	 * only when it is the only usable one.  NULL when none is usable.
	 * key/keylen: the hash key; hash balancers require one (the caller
	 * falls back to round-robin when a request has none), the others
	 * ignore it.
	 */
	struct lb_member *(*pick)(struct lb_balancer *b, const void *key,
	    size_t keylen, const struct lb_member *avoid);
	/* Frees b->state.  Safe on a balancer whose init failed. */
	void (*fini)(struct lb_balancer *b);
};

struct lb_balancer {
	const struct lb_balancer_ops *ops;
	struct lb_member **members;	/* not owned */
	size_t nmembers;
	void *state;			/* owned, the algorithm's */
};

extern const struct lb_balancer_ops lb_balance_rr;
extern const struct lb_balancer_ops lb_balance_leastconn;
extern const struct lb_balancer_ops lb_balance_hash;

/*
 * Key extraction (balance_key.c).  Each returns 1 and sets *key and *len to
 * a span inside the given text, or 0 when the request has no such key.
 */

/* The path (left of '?'), cut to its first `length` characters when
 * length > 0 and to its first `depth` segments when depth > 0. */
int lb_key_uri(const char *url, size_t urllen, unsigned length,
    unsigned depth, const char **key, size_t *len);
/* The value of query parameter name in url (first occurrence). */
int lb_key_url_param(const char *url, size_t urllen, const char *name,
    const char **key, size_t *len);
/* ip-hash's key: the address of sa alone, its 4 or 16 bytes. */
void lb_key_addr(const struct sockaddr *sa, const char **key, size_t *len);

#endif /* EDGED_LB_BALANCE_H */
