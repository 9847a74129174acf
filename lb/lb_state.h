/*
 * lb/lb_state.h - the runtime state the master carries from one worker to
 * the next: counters, check history and live least-conn counts, by name.
 *
 * Every worker counts in a block the master made for it (lb/shm.h) and
 * maps too.  The master keeps a registry of every object name it has
 * seen (virtual servers, pools, members) with the counters of the
 * workers that are gone; a new worker's `base` counters are those plus
 * what the other live workers (an older generation still draining)
 * counted so far, so that its statistics are those of the appliance,
 * not of one process, and its least-conn sees the older workers'
 * requests in progress.  When a worker ends, even killed, its block
 * still holds what it counted: the master adds it to the registry.
 */
#ifndef EDGED_LB_STATE_H
#define EDGED_LB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shm.h"

struct lb_state_hist {
	bool known;
	int check_result;
	unsigned check_us;
	unsigned transitions;
	uint64_t up_since_ms;
};

struct lb_state_entry {
	struct lb_shm_obj id;		/* kind, pool, name */
	struct lb_sum carried;		/* workers gone (cur unused) */
	struct lb_state_hist hist;	/* a member's last check history */
};

/* The core's figures (module.h's edged_figures), for the worker's
 * metrics (lb_shm_master): reloads counted, the start and the
 * configuration's load, Unix ms. */
struct lb_state_master {
	uint64_t reloads[LB_RELOAD_RESULTS];
	uint64_t started_ms;
	uint64_t loaded_ms;
};

struct lb_state {
	struct lb_state_master master;	/* published in every block */
	struct lb_state_entry *v;
	size_t n, cap;
	uint32_t *slots;		/* hash of v's indexes, + 1; 0 free */
	size_t nslots;
	struct lb_sum *tmp;		/* [cap], for refresh */
	unsigned *tmp_active;
};

/* One worker's block, as the master sees it. */
struct lb_state_block {
	int fd;				/* memfd, -1 when none */
	void *mem;
	size_t len;
	struct lb_shm view;
	uint32_t *entry;		/* [nobj]: index in state.v */
};

void lb_state_free(struct lb_state *st);

/*
 * Makes the block of a worker of c with nthreads threads: a memfd,
 * mapped, laid out, its objects registered, their check history written
 * from the registry.  Returns 0, or -1 with errno.
 */
int lb_state_block_new(struct lb_state *st, struct lb_state_block *b,
    const struct lb_conf *c, unsigned nthreads);
/* Maps the block in fd (inherited over an upgrade) and registers its
 * objects.  Returns 0, or -1 when fd is not a block. */
int lb_state_block_adopt(struct lb_state *st, struct lb_state_block *b, int fd);
/* The registry takes the members' check history from b (the worker whose
 * view is the newest). */
void lb_state_pull_history(struct lb_state *st, const struct lb_state_block *b);
/* The worker of b is gone: the registry keeps what it counted. */
void lb_state_fold(struct lb_state *st, const struct lb_state_block *b);
void lb_state_block_release(struct lb_state_block *b);
/*
 * Writes target's base counters and members' `others`: the registry's
 * carried counters plus what the n blocks of live[] (other live workers;
 * target itself and NULLs are skipped) count now.
 */
void lb_state_refresh(struct lb_state *st, struct lb_state_block *target,
    struct lb_state_block *const *live, size_t n);
/* Writes st->master into b's header, where the worker's metrics read
 * it (a block made by lb_state_block_new has it already). */
void lb_state_publish(const struct lb_state *st, struct lb_state_block *b);

/* The registry as text lines, and back: what an upgrade hands to the
 * new master.  Lines are "entry ..." (one object each); lb_state_load_line
 * returns 0, or -1 on a malformed line. */
void lb_state_save(const struct lb_state *st, FILE *f);
int lb_state_load_line(struct lb_state *st, const char *line);

#endif /* EDGED_LB_STATE_H */
