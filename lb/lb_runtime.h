/*
 * lb/lb_runtime.h - what the worker process uses of the load balancer:
 * build the runtime for a configuration, run one event-loop thread of it,
 * drain or stop it, read its statistics.
 */
#ifndef EDGED_LB_RUNTIME_H
#define EDGED_LB_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb.h"

struct lb_runtime;

/*
 * Builds pools, members, balancers and counters for conf (which must
 * outlive the runtime) and nthreads threads.  Counters and member state
 * go into the shm_len bytes at shm, a block the master laid out for conf
 * (shm.h), or, when shm is NULL, into memory of the runtime's own.
 * Returns NULL out of memory or when the block does not fit conf.
 */
struct lb_runtime *lb_runtime_new(const struct lb_conf *conf,
    unsigned nthreads, uint64_t max_connections, void *shm, size_t shm_len);
/*
 * Runs thread `id` on the calling thread: fds[i] is this thread's socket
 * for listener i (lb_conf_listener order), owned by the runtime from now.
 * Returns when the runtime is stopped, or drained and idle.
 */
int lb_thread_run(struct lb_runtime *rt, unsigned id, const int *fds);
/* From any thread: stop accepting, finish what is in flight, then every
 * lb_thread_run returns. */
void lb_runtime_drain(struct lb_runtime *rt);
/* From any thread: every lb_thread_run returns at once. */
void lb_runtime_stop(struct lb_runtime *rt);
/* After every thread returned. */
void lb_runtime_free(struct lb_runtime **rt);
/*
 * Statistics per virtual server, pool and member, summed over threads:
 * as aligned text, or JSON (with edged's version and the master's
 * figures, shm.h, under "edged").  A pool's errors are its members'.
 * Returns a malloc'd string (caller frees),
 * NULL out of memory.  Safe while threads run.
 */
char *lb_stats(struct lb_runtime *rt, bool json, size_t *len);

/* What edgectl can change about a member at run time. */
enum lb_member_op {
	LB_MEMBER_ADMIN = 1,		/* value: enum lb_admin_state */
	LB_MEMBER_WEIGHT,		/* value: 1..256 */
	LB_MEMBER_HEALTH,		/* value: 1 up, 0 down; carried over
					 * from the previous worker, applied
					 * only where a monitor decides */
};

/*
 * Sets a member's admin state or weight, seen by every thread at once.
 * Returns 0, or -1 when pool or member does not exist (or value is out
 * of range).
 */
int lb_runtime_member_set(struct lb_runtime *rt, const char *pool,
    const char *member, enum lb_member_op op, unsigned value);
/* The transparent pools' socket stock (tsock.h); NULL: no such pool. */
struct lb_tsock *lb_runtime_tsock(struct lb_runtime *rt);

/*
 * Health changes since the last call: calls report(pool, member, up,
 * arg) for each monitored member whose health differs from what was
 * reported before.  For the worker's main thread.
 */
void lb_runtime_health_changes(struct lb_runtime *rt,
    void (*report)(const char *pool, const char *member, bool up, void *arg),
    void *arg);

/*
 * Members of pool (all pools when pool is empty): state, admin state,
 * health, weight, requests in progress, requests, errors, last check.
 * An admin state or weight that differs from the file (set with edgectl)
 * is marked '*' with a footnote in the text, and has weight_file,
 * admin_file and override in JSON.
 * Text or JSON, malloc'd; NULL out of memory or when pool is unknown.
 */
char *lb_show_pool(struct lb_runtime *rt, const char *pool, bool json,
    size_t *len);

/* Every counter and gauge in the Prometheus text exposition format
 * (version 0.0.4), edged's own (build, start, reloads) first, written
 * to f (a failed write sets f's error flag). */
void lb_metrics(struct lb_runtime *rt, FILE *f);
/* `edgectl show rules [VS]`: each rule of the virtual server's blocks
 * (every virtual server's when vs is ""), with its hits. */
char *lb_show_rules(struct lb_runtime *rt, const char *vs, bool json,
    size_t *len);

/*
 * Starts the access logs: fds[i] is the open file of virtual server i's
 * `access-log PATH` (owned from now) or -1; syslog ones need none.
 * Before any lb_thread_run.  Returns 0, or -1 (out of memory).
 */
int lb_runtime_access_logs(struct lb_runtime *rt, const int *fds);

/*
 * Builds the TLS contexts from the files the master read (tls_cert.h;
 * blobs are only read: the caller wipes them).  Before any
 * lb_thread_run; https virtual servers need it.  Returns 0, or -1 after
 * logging why.
 */
struct lb_tls_blob;
int lb_runtime_tls(struct lb_runtime *rt, const struct lb_tls_blob *blobs,
    size_t nblobs);
/*
 * Compiles each virtual server's application rules, with the pattern
 * files the master read (rule_conf.h; only read), and keeps sticks (the
 * stick tables, by the configuration's index; the caller's, to outlive
 * the runtime).  Before any lb_thread_run.  Returns 0, or -1 after
 * logging why.
 */
struct lb_rule_files;
struct lb_stick;
int lb_runtime_rules(struct lb_runtime *rt, const struct lb_rule_files *f,
    struct lb_stick *const *sticks);
/* The session ticket keys (n of LB_TICKET_KEY bytes, newest first; see
 * tls_ctx.h), from any thread once lb_runtime_tls succeeded. */
void lb_runtime_ticket_keys(struct lb_runtime *rt, const unsigned char *keys,
    size_t n);

/* Starts the monitor thread: each monitored member is probed once per
 * interval, whatever the number of worker threads.  Returns 0, or -1. */
int lb_monitors_start(struct lb_runtime *rt);
/* Stops and joins it (safe when it was never started). */
void lb_monitors_stop(struct lb_runtime *rt);

#endif /* EDGED_LB_RUNTIME_H */
