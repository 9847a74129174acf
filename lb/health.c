/*
 * lb/health.c - see health.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "health.h"

void
lb_health_init(struct lb_health *h)
{
	memset(h, 0, sizeof(*h));
	h->up = true;
}

enum lb_health_change
lb_health_record(struct lb_health *h, bool ok, unsigned rise, unsigned fall)
{
	bool first = !h->probed;

	h->probed = true;
	if (ok) {
		h->ok_streak++;
		h->fail_streak = 0;
		if (!h->up && h->ok_streak >= rise) {
			h->up = true;
			return LB_HEALTH_WENT_UP;
		}
		return LB_HEALTH_SAME;
	}
	h->fail_streak++;
	h->ok_streak = 0;
	if (h->up && (first || h->fail_streak >= fall)) {
		h->up = false;
		return LB_HEALTH_WENT_DOWN;
	}
	return LB_HEALTH_SAME;
}

/* What each local error means ran out; every other errno is the
 * member's or the network's. */
static const struct {
	int err;
	const char *what;
} local_errors[] = {
	{ EMFILE, "the edge's descriptor limit" },
	{ ENFILE, "the system's descriptor limit" },
	{ ENOBUFS, "the edge's kernel buffers" },
	{ ENOMEM, "the edge's memory" },
	/* a source-address not on the host, or no local port left */
	{ EADDRNOTAVAIL, "the edge's addresses or ports" },
	/* LB_ETSOCK (tsock.h): the sockets the master makes for the
	 * transparent pools, all taken until its next top-up */
	{ ENOSR, "the transparent sockets the master hands out" },
};

const char *
lb_err_local(int err)
{
	for (size_t i = 0; i < sizeof(local_errors) / sizeof(local_errors[0]);
	    i++)
		if (local_errors[i].err == err)
			return local_errors[i].what;
	return NULL;
}

static bool
trouble_due(const struct lb_local_trouble *t, double now, double interval)
{
	return !t->reported || now - t->last >= interval;
}

bool
lb_local_trouble_note(struct lb_local_trouble *t, double now,
    double interval, unsigned long *count, double *span)
{
	t->active = true;
	t->count++;
	if (!trouble_due(t, now, interval))
		return false;
	*count = t->count;
	*span = t->reported ? now - t->last : 0;
	t->count = 0;
	t->reported = true;
	t->last = now;
	return true;
}

bool
lb_local_trouble_over(struct lb_local_trouble *t, double now,
    double interval, unsigned long *count)
{
	if (!t->active || !trouble_due(t, now, interval))
		return false;
	*count = t->count;
	t->count = 0;
	t->active = false;
	t->last = now;
	return true;
}

bool
lb_expect_body(const char *body, size_t len, const char *want,
    const void *re)
{
	pcre2_match_data *md;
	int rc;

	if (want[0] == '\0')
		return true;
	if (re == NULL)
		return memmem(body, len, want, strlen(want)) != NULL;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md == NULL)
		return false;
	rc = pcre2_match(re, (PCRE2_SPTR)body, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

bool
lb_expect_status(const struct lb_expect_status *e, int status)
{
	if (e->n == 0)
		return status >= 200 && status <= 399;
	for (unsigned i = 0; i < e->n; i++)
		if (status >= e->lo[i] && status <= e->hi[i])
			return true;
	return false;
}

void
lb_expect_status_fmt(const struct lb_expect_status *e, char *buf,
    size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (e->n == 0) {
		snprintf(buf, size, "200-399");
		return;
	}
	for (unsigned i = 0; i < e->n && used < size; i++) {
		int n = e->lo[i] == e->hi[i] ?
		    snprintf(buf + used, size - used, "%s%u", i ? " " : "",
		    e->lo[i]) :
		    snprintf(buf + used, size - used, "%s%u-%u", i ? " " : "",
		    e->lo[i], e->hi[i]);

		if (n < 0)
			return;
		used += (size_t)n;
	}
}

/* A status code, 100-599, exactly three digits. */
static int
parse_code(const char *p, size_t len)
{
	int v = 0;

	if (len != 3)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 100 && v <= 599 ? v : -1;
}

int
lb_expect_status_add(struct lb_expect_status *e, const char *word)
{
	const char *dash = strchr(word, '-');
	int lo, hi;

	if (e->n >= LB_EXPECT_MAX)
		return -1;
	lo = parse_code(word, dash ? (size_t)(dash - word) : strlen(word));
	hi = dash ? parse_code(dash + 1, strlen(dash + 1)) : lo;
	if (lo < 0 || hi < 0 || lo > hi)
		return -1;
	e->lo[e->n] = (uint16_t)lo;
	e->hi[e->n] = (uint16_t)hi;
	e->n++;
	return 0;
}
