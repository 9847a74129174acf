/*
 * lb/member.h - a pool member as the data path sees it at run time.
 *
 * The configuration of a member (lb_member_conf) is plain data; this is
 * the runtime object built from it, shared by every worker thread.  Fields
 * that threads change concurrently are atomics; everything else is written
 * once when the pool is built and read-only afterwards.
 */
#ifndef EDGED_LB_MEMBER_H
#define EDGED_LB_MEMBER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "shm.h"

enum lb_admin_state {
	LB_ADMIN_ENABLED = 0,
	LB_ADMIN_DISABLED,		/* no traffic at all */
	LB_ADMIN_DRAIN,			/* no new sessions */
};

struct lb_member {
	const char *name;		/* owned by the configuration */
	atomic_uint weight;		/* 1..256; edgectl may change it */
	bool backup;			/* used only when no primary is usable */
	uint64_t hash_id;		/* identity on the hash ring (from name) */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned index;			/* position among all members */
	unsigned maxconn;		/* requests in progress at most, 0 any
					 * (max-connections) */
	unsigned send_proxy;		/* PROXY protocol version, 0 none */
	bool check_send_proxy;		/* probes send it on a monitor-port
					 * too */

	atomic_int up;			/* health: 1 up, 0 down */
	atomic_int admin;		/* enum lb_admin_state */
	/* requests in progress, the last probe, when it came up: in the
	 * block the master maps too (shm.h), so they outlive this worker */
	struct lb_member_state *st;
	/* connect failures and timeouts of live traffic since the last
	 * probe: the monitor counts them as failed checks (never the
	 * edge's own failures, lb_err_local in health.h) */
	atomic_uint passive_fails;
	uint64_t slow_start_ms;		/* the pool's slow-start, 0 = none */
	bool monitored;			/* its pool has a monitor */
	bool health_carried;		/* up came from the previous worker */
	int reported_up;		/* what the main thread last reported */
};

enum lb_check_result {
	LB_CHECK_NONE = 0,		/* no probe yet, or no monitor */
	LB_CHECK_L4_OK = -1,		/* connected (and received) */
	LB_CHECK_TIMEOUT = -2,
	LB_CHECK_CONNECT = -3,		/* refused, unreachable */
	LB_CHECK_BAD = -4,		/* not HTTP, or not what tcp expects */
	LB_CHECK_BODY = -5,		/* status fine, body not */
	LB_CHECK_TLS = -6,		/* https: the handshake failed */
};

/* Requests in progress on the member: this worker's and, while an
 * older generation drains, the older workers' too. */
static inline uint64_t
lb_member_load(const struct lb_member *m)
{
	return (uint64_t)atomic_load_explicit(&m->st->active,
	    memory_order_relaxed) + atomic_load_explicit(&m->st->others,
	    memory_order_relaxed);
}

/* True when the member may take a new request. */
static inline bool
lb_member_usable(const struct lb_member *m)
{
	return atomic_load_explicit(&m->up, memory_order_relaxed) &&
	    atomic_load_explicit(&m->admin, memory_order_relaxed) ==
	    LB_ADMIN_ENABLED;
}

/* True when the member is below its max-connections (every worker's
 * requests counted). */
static inline bool
lb_member_has_room(const struct lb_member *m)
{
	return m->maxconn == 0 || lb_member_load(m) < m->maxconn;
}

/* True when the member may take a new request now: usable, with room. */
static inline bool
lb_member_open(const struct lb_member *m)
{
	return lb_member_usable(m) && lb_member_has_room(m);
}

/* 64-bit FNV-1a; used for member identities and hash keys alike. */
static inline uint64_t
lb_hash_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif /* EDGED_LB_MEMBER_H */
