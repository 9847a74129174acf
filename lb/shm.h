/*
 * lb/shm.h - a worker's counters and member state, in memory the master
 * maps too, so that they outlive the worker.
 *
 * The master creates one block per worker (a memfd), sized and laid out
 * for that worker's configuration and thread count, and names every
 * object in it (a directory: kind, pool, name).  The worker's threads
 * keep their counters there and its members their shared state; the
 * master reads the block by name, without the worker's help, to carry
 * counters, live least-conn counts and check history from one worker to
 * the next: across reloads, worker restarts (even a crash) and binary
 * upgrades.  The master writes only the `base` counters and each
 * member's `others` count, which add what other workers (live or gone)
 * contributed, and, before the worker starts, the check history.
 *
 *   header | directory[nobj] | ctr[nthreads][nobj] | base[nobj] |
 *   members[nmembers]
 *
 * Objects are numbered virtual servers first, then pools, then members
 * (pool by pool), then the rules of application-rule blocks (rule.h's
 * id), as in the configuration.
 */
#ifndef EDGED_LB_SHM_H
#define EDGED_LB_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lb.h"

/* Per-thread counters of one virtual server, pool or member.  Written
 * only by the owning thread; read (summed) by the stats reader and the
 * master. */
/* A virtual server's TLS handshakes (struct lb_ctr's tls[]). */
enum lb_tls_ctr {
	LB_TLS_HANDSHAKES,		/* completed */
	LB_TLS_RESUMED,			/* of them, resuming a session */
	LB_TLS_V13,			/* of them, TLS 1.3 */
	LB_TLS_CTRS,
};

struct lb_ctr {
	_Atomic uint64_t cur;		/* connections / requests in progress */
	_Atomic uint64_t total;
	_Atomic uint64_t requests;
	_Atomic uint64_t bytes_in;	/* from clients */
	_Atomic uint64_t bytes_out;	/* to clients */
	_Atomic uint64_t resp[6];	/* 1xx..5xx, [0] = other */
	_Atomic uint64_t errors;	/* members: connect failures, bad
					 * responses; virtual servers: failed
					 * TLS handshakes, refused hellos */
	_Atomic uint64_t tls[LB_TLS_CTRS];	/* virtual servers */
};

/* A plain increment: the counter has a single writer. */
#define CTR_ADD(c, n)							\
	atomic_store_explicit(&(c), atomic_load_explicit(&(c),		\
	    memory_order_relaxed) + (n), memory_order_relaxed)

/* A member's state that must outlive the worker. */
struct lb_member_state {
	atomic_uint active;		/* this worker's requests in progress */
	atomic_uint others;		/* other live workers' (master writes) */
	/* the last probe, written by the monitor thread */
	atomic_int check_result;	/* enum lb_check_result, or an HTTP
					 * status when > 0 */
	atomic_uint check_us;		/* how long it took */
	atomic_uint transitions;	/* up/down changes */
	_Atomic uint64_t up_since_ms;	/* CLOCK_MONOTONIC ms when it last
					 * came up, 0 = up from the start */
};

enum lb_obj_kind {
	LB_OBJ_VS = 1,
	LB_OBJ_POOL,
	LB_OBJ_MEMBER,
	LB_OBJ_RULE,			/* pool: the application-rule block,
					 * name: lb_rule_key's; counts its
					 * hits in requests */
};

struct lb_shm_obj {
	uint32_t kind;			/* enum lb_obj_kind */
	char pool[LB_NAME_MAX];		/* a member's pool, else "" */
	char name[LB_NAME_MAX];
};

#define LB_SHM_MAGIC	0x65646764u	/* "edgd" */
#define LB_SHM_VERSION	2u		/* 2: TLS counters */

/* What the master knows and the worker's metrics show: the master's
 * own life, written by the master only, at any time (relaxed). */
enum lb_reload_result {
	LB_RELOAD_SUCCESS,
	LB_RELOAD_FAILURE,
	LB_RELOAD_RESULTS,
};

struct lb_shm_master {
	_Atomic uint64_t reloads[LB_RELOAD_RESULTS];	/* since the start,
							 * upgrades included */
	_Atomic uint64_t started_ms;	/* the master's start, Unix ms */
	_Atomic uint64_t loaded_ms;	/* when the configuration in force
					 * was read: start or last reload */
};

struct lb_shm_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t nthreads;
	uint32_t nvs, npools, nmembers;
	uint32_t nobj;
	uint32_t nrules;		/* was padding: 0 in older blocks */
	uint64_t size;
	uint64_t off_dir, off_ctr, off_base, off_members;
	/* in what was the header's padding before the directory: a block
	 * of a binary without it has zeros there, and the same layout */
	struct lb_shm_master master;
};

_Static_assert(sizeof(struct lb_shm_hdr) <= 128,
    "the header fits before the directory, as in version 2");

/* A block as mapped in one process: pointers into it. */
struct lb_shm {
	struct lb_shm_hdr *hdr;
	struct lb_shm_obj *dir;		/* [nobj] */
	struct lb_ctr *ctr;		/* [nthreads * nobj] */
	struct lb_ctr *base;		/* [nobj] */
	struct lb_member_state *members;	/* [nmembers] */
};

/* The size of the block for c and nthreads threads. */
size_t lb_shm_size(const struct lb_conf *c, unsigned nthreads);
/* Lays out a zeroed block of lb_shm_size() bytes at mem for c: header
 * and directory.  Fills view. */
void lb_shm_init(struct lb_shm *view, void *mem, const struct lb_conf *c,
    unsigned nthreads);
/*
 * Checks that the len bytes at mem are a block laid out for c (when c is
 * not NULL) and fills view.  Returns 0, or -1 when it is not (another
 * version, another configuration, truncated).
 */
int lb_shm_attach(struct lb_shm *view, void *mem, size_t len,
    const struct lb_conf *c);

/* Thread t's counters of object i. */
static inline struct lb_ctr *
lb_shm_ctr(const struct lb_shm *v, unsigned t, size_t i)
{
	return &v->ctr[(size_t)t * v->hdr->nobj + i];
}

/* Relaxed load of a counter. */
static inline uint64_t
lb_ctr_ld(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* A plain sum of counters, for readers. */
struct lb_sum {
	uint64_t cur, total, requests, bytes_in, bytes_out, resp[6], errors;
	uint64_t tls[LB_TLS_CTRS];
};

/* s += c. */
void lb_sum_add(struct lb_sum *s, struct lb_ctr *c);
/* Object i's counters summed over the block's threads (base excluded). */
struct lb_sum lb_shm_sum(const struct lb_shm *v, size_t i);

#endif /* EDGED_LB_SHM_H */
