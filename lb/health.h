/*
 * lb/health.h - what a member's probe results mean: the rise/fall state
 * machine and the expectations a probe's answer is held to.  Pure
 * functions, no I/O (the probes are in monitor.c).
 */
#ifndef EDGED_LB_HEALTH_H
#define EDGED_LB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One member's health as its monitor sees it. */
struct lb_health {
	bool up;
	bool probed;			/* a first result came */
	unsigned ok_streak;		/* consecutive successes */
	unsigned fail_streak;		/* consecutive failures */
};

enum lb_health_change {
	LB_HEALTH_SAME,
	LB_HEALTH_WENT_UP,
	LB_HEALTH_WENT_DOWN,
};

/* A member starts up (traffic flows from the first second) unless its
 * very first probe fails. */
void lb_health_init(struct lb_health *h);
/*
 * Records one probe result.  An up member goes down after `fall`
 * consecutive failures (or at once if the first probe ever fails); a
 * down member comes up after `rise` consecutive successes.
 */
enum lb_health_change lb_health_record(struct lb_health *h, bool ok,
    unsigned rise, unsigned fall);

/*
 * A failure of the edge itself rather than of the member: the process or
 * the system is out of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM, from socket(), connect(), a TLS or connection set-up), or it
 * lacks the pool's source-address or a local port (EADDRNOTAVAIL).  It is
 * no member's error and no failed check, and another member would fail
 * the same way.  Returns what ran out ("the edge's descriptor limit"),
 * or NULL when err is not such an error.
 */
const char *lb_err_local(int err);

/*
 * Reporting local failures without a line per failure: one line when
 * they start, then at most one per interval, each with how many happened
 * since the previous one, and one when they are over.  Times in seconds,
 * any monotonic clock; one per thread (no locking).
 */
struct lb_local_trouble {
	bool active;			/* failures since the last success */
	bool reported;			/* a line was ever due */
	double last;			/* when the last line was due */
	unsigned long count;		/* failures not yet in a line */
};

/*
 * One more local failure at now.  Returns true when a line is due: then
 * *count is how many failures it reports (this one included) and *span
 * the seconds they came in (0 for the first line), and both restart.
 */
bool lb_local_trouble_note(struct lb_local_trouble *t, double now,
    double interval, unsigned long *count, double *span);
/*
 * A success at now (a socket could be opened).  Returns true when the
 * trouble is over and a line is due to say so, with *count the failures
 * not yet reported; false when there was no trouble, or when the last
 * line is less than interval ago (a later success reports it: lines stay
 * one per interval even when failures and successes alternate).
 */
bool lb_local_trouble_over(struct lb_local_trouble *t, double now,
    double interval, unsigned long *count);

/* Weights are used at this scale, so that a member ramping up under
 * slow-start can have a fraction of its configured weight. */
#define LB_WEIGHT_SCALE	64

/*
 * The weight (at LB_WEIGHT_SCALE) of a member that came up elapsed_ms
 * ago, with slow-start over slow_ms: from 1 (a trickle) up to the full
 * weight once slow_ms has passed.  slow_ms 0: the full weight.
 */
static inline unsigned
lb_slow_start_weight(unsigned weight, uint64_t elapsed_ms, uint64_t slow_ms)
{
	uint64_t full = (uint64_t)weight * LB_WEIGHT_SCALE, w;

	if (slow_ms == 0 || elapsed_ms >= slow_ms)
		return (unsigned)full;
	w = full * elapsed_ms / slow_ms;
	return w > 0 ? (unsigned)w : 1;
}

#define LB_EXPECT_MAX	16

/* `expect status 200-399 404`: ranges of acceptable status codes. */
struct lb_expect_status {
	uint16_t lo[LB_EXPECT_MAX];
	uint16_t hi[LB_EXPECT_MAX];
	unsigned n;			/* 0: the default, 200-399 */
};

bool lb_expect_status(const struct lb_expect_status *e, int status);
/* "200-399", "200-299 404": the ranges in their normal form. */
void lb_expect_status_fmt(const struct lb_expect_status *e, char *buf,
    size_t size);
/*
 * Parses one word, "200" or "200-399", into e.  Returns 0, or -1 when it
 * is not a code or range within 100-599 (lo <= hi) or e is full.
 */
int lb_expect_status_add(struct lb_expect_status *e, const char *word);

/*
 * `expect body "ok"` / `expect body-regex "..."`: true when want is empty,
 * when body contains want, or (re not NULL, a compiled PCRE2 pattern of
 * want) when the pattern matches somewhere in body.
 */
bool lb_expect_body(const char *body, size_t len, const char *want,
    const void *re);

#endif /* EDGED_LB_HEALTH_H */
