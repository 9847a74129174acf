/*
 * fw/fw_feed.c - the feeds' runtime in the master (fw_feed.h).
 *
 * Each feed has a timer: at each refresh (up to 10% sooner, so that
 * feeds started together drift apart) the master reads the file; when
 * it is the same file as at the last good read (inode, size, times), the
 * read is good and nothing more is done; else its text is parsed and
 * the members handed to apply, which sends only what changed to the
 * kernel.  A file that cannot be read, or of whose lines none is an
 * address, keeps the last good list and says why: in the log (when the
 * reason changes), in `edgectl group show`, and in the metrics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "file.h"
#include "fw_dyn.h"
#include "fw_feed.h"
#include "log.h"
#include "mem.h"
#include "text.h"

#define FW_FEED_FILE_MAX	(256u << 20)

struct feed {
	struct fw_feeds *owner;
	char group[FW_NAME_MAX];
	struct fw_feed conf;		/* as in force */
	const struct fw_group *g;	/* in the generation in force */
	ev_timer timer;
	bool live;			/* in the configuration in force */
	/* the last read, good or not */
	double last_success, last_attempt;	/* wall clock; 0 never */
	char last_error[256];		/* "" after a good read */
	uint64_t errors;
	struct fw_feed_list last;	/* figures and refused lines only */
	struct stat seen;		/* the file at the last good read */
	bool have_seen;
};

struct fw_feeds {
	struct ev_loop *loop;
	fw_feed_apply_fn *apply;
	fw_feed_changed_fn *changed;
	void *arg;
	struct feed **v;		/* each on its own: libev holds the
					 * timers' addresses */
	size_t n, cap;
};

/* the wall clock, in seconds (for the status and the metrics) */
static double
wall(void)
{
	return clock_ms_of(CLOCK_REALTIME) / 1000.0;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size && a->st_mtim.tv_sec ==
	    b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec ==
	    b->st_ctim.tv_nsec;
}

/* the read failed: said (once per reason), counted; the list stays */
static void
failed(struct feed *fd, const char *why)
{
	fd->errors++;
	if (strcmp(fd->last_error, why) != 0)
		log_warn("firewall: feed of address-group %s (%s): %s; the "
		    "last good list stays", fd->group, fd->conf.url, why);
	snprintf(fd->last_error, sizeof(fd->last_error), "%s", why);
}

/* a good read of a new text (begun at t0, clock_ms): l's members
 * sorted, given to
 * apply */
static void
take(struct feed *fd, struct fw_feed_list *l, const char *text, size_t len,
    const struct stat *st, uint64_t t0)
{
	struct fw_feeds *f = fd->owner;
	char err[512];
	size_t n = fw_dyn_sort(l->v, l->n);
	double kept = 0;

	if (f->apply(f->arg, fd->g, l->v, n, text, len, &kept, err,
	    sizeof(err)) < 0) {
		failed(fd, err);
		return;			/* l->v still the caller's */
	}
	l->v = NULL;
	l->n = l->cap = 0;
	if (l->refused > 0)
		log_warn("firewall: feed of address-group %s: %lu of %lu "
		    "lines refused (first: %s)", fd->group, l->refused,
		    l->lines, l->shown[0]);
	if (l->truncated)
		log_warn("firewall: feed of address-group %s: more than "
		    "max-entries %llu: the first %llu taken", fd->group,
		    (unsigned long long)fd->conf.max_entries,
		    (unsigned long long)fd->conf.max_entries);
	log_info("firewall: feed of address-group %s: %lu entries (%zu "
	    "members) from %s, applied in %.1f ms (kept for a restart in "
	    "%.1f ms more)", fd->group, l->entries, n, fd->conf.url,
	    (double)(clock_ms() - t0) - kept, kept);
	fw_feed_list_free(&fd->last);
	fd->last = *l;
	memset(l, 0, sizeof(*l));
	fd->seen = *st;
	fd->have_seen = true;
	fd->last_success = wall();
	fd->last_error[0] = '\0';
}

static void
read_feed(struct feed *fd)
{
	const char *path = FW_FEED_PATH(&fd->conf);
	struct fw_feed_list l;
	struct stat st = { 0 };
	char *text = NULL, why[300];
	size_t len;
	uint64_t t0 = clock_ms();

	fd->last_attempt = wall();
	if (stat(path, &st) == 0 && fd->have_seen && same_file(&st,
	    &fd->seen)) {
		fd->last_success = fd->last_attempt;
		fd->last_error[0] = '\0';
		return;			/* what is in force already */
	}
	if (file_read(path, FW_FEED_FILE_MAX, &text, &len, NULL) < 0) {
		snprintf(why, sizeof(why), "cannot read %s: %s", path,
		    errno == EFBIG ? "over 256 MiB" : errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		failed(fd, why);
		return;
	}
	if (fw_feed_parse_list(text, len, fd->conf.max_entries, &l) < 0)
		failed(fd, "out of memory");
	else if (l.entries == 0 && l.refused > 0) {
		snprintf(why, sizeof(why), "none of its %lu lines is an "
		    "address, a prefix or a range (%s)", l.lines, l.shown[0]);
		failed(fd, why);
	} else
		take(fd, &l, text, len, &st, t0);
	fw_feed_list_free(&l);
	free(text);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct feed *fd = t->data;
	double next = fd->conf.refresh_ms / 1000.0;

	(void)revents;
	read_feed(fd);
	/* up to 10% sooner */
	next -= next * 0.1 * ((double)random() / RAND_MAX);
	ev_timer_stop(loop, t);
	ev_timer_set(t, next, 0.);
	ev_timer_start(loop, t);
	fd->owner->changed(fd->owner->arg);
}

struct fw_feeds *
fw_feeds_new(struct ev_loop *loop, fw_feed_apply_fn *apply,
    fw_feed_changed_fn *changed, void *arg)
{
	struct fw_feeds *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->loop = loop;
	f->apply = apply;
	f->changed = changed;
	f->arg = arg;
	return f;
}

static void
feed_free(struct fw_feeds *f, struct feed *fd)
{
	ev_timer_stop(f->loop, &fd->timer);
	fw_feed_list_free(&fd->last);
	free(fd);
}

void
fw_feeds_free(struct fw_feeds *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		feed_free(f, f->v[i]);
	free(f->v);
	free(f);
}

static struct feed *
find(const struct fw_feeds *f, const char *group)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i]->group, group) == 0)
			return f->v[i];
	return NULL;
}

/* the timer of fd set off after `after` seconds */
static void
arm(struct fw_feeds *f, struct feed *fd, double after)
{
	ev_timer_stop(f->loop, &fd->timer);
	ev_timer_set(&fd->timer, after, 0.);
	ev_timer_start(f->loop, &fd->timer);
}

/* g's feed, found or made, read at once when it is new or its source
 * changed; NULL out of memory */
static struct feed *
feed_for(struct fw_feeds *f, const struct fw_group *g)
{
	struct feed *fd = find(f, g->name);

	if (fd == NULL) {
		if (mem_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v)) < 0 ||
		    (fd = calloc(1, sizeof(*fd))) == NULL)
			return NULL;
		f->v[f->n++] = fd;
		fd->owner = f;
		snprintf(fd->group, sizeof(fd->group), "%s", g->name);
		ev_init(&fd->timer, timer_cb);
		fd->timer.data = fd;
	}
	if (strcmp(fd->conf.url, g->feed->url) != 0 ||
	    fd->conf.max_entries != g->feed->max_entries) {
		fd->have_seen = false;	/* read it whole at once */
		arm(f, fd, 0.);
	} else if (fd->conf.refresh_ms != g->feed->refresh_ms)
		arm(f, fd, g->feed->refresh_ms / 1000.0);
	fd->conf = *g->feed;
	fd->g = g;
	fd->live = true;
	return fd;
}

void
fw_feeds_sync(struct fw_feeds *f, const struct fw_conf *c)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++)
		f->v[i]->live = false;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i].feed != NULL &&
		    feed_for(f, &c->groups[i]) == NULL)
			log_err("firewall: feed of address-group %s: out of "
			    "memory", c->groups[i].name);
	for (size_t i = 0; i < f->n; i++) {
		if (!f->v[i]->live)
			feed_free(f, f->v[i]);
		else
			f->v[k++] = f->v[i];
	}
	f->n = k;
	f->changed(f->arg);
}

/* a time as the log writes it, UTC: "2026-12-07T16:40:00Z"; "never" */
static void
fmt_time(char *buf, size_t size, double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&s, &tm) == NULL)
		snprintf(buf, size, "never");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
status_json(const struct feed *fd, FILE *out)
{
	fputs("\"feed\":{\"source\":", out);
	text_json_string(out, fd->conf.url);
	fprintf(out, ",\"last_success\":%.0f,\"last_attempt\":%.0f,"
	    "\"last_error\":", fd->last_success, fd->last_attempt);
	text_json_string(out, fd->last_error);
	fprintf(out, ",\"errors\":%llu,\"entries\":%lu,\"lines\":%lu,"
	    "\"refused\":%lu,\"truncated\":%s,\"refused_lines\":[",
	    (unsigned long long)fd->errors, fd->last.entries, fd->last.lines,
	    fd->last.refused, fd->last.truncated ? "true" : "false");
	for (size_t i = 0; i < fd->last.nshown; i++) {
		if (i > 0)
			fputc(',', out);
		text_json_string(out, fd->last.shown[i]);
	}
	fputs("]},", out);
}

bool
fw_feeds_status(const struct fw_feeds *f, const char *group, bool json,
    FILE *out)
{
	const struct feed *fd = find(f, group);
	char ok[40], tried[40];

	if (fd == NULL)
		return false;
	if (json) {
		status_json(fd, out);
		return true;
	}
	fmt_time(ok, sizeof(ok), fd->last_success);
	fmt_time(tried, sizeof(tried), fd->last_attempt);
	fprintf(out, "# feed %s, every %llu s: last read %s, last good read "
	    "%s\n# %lu entries from %lu lines, %lu refused%s; %llu failed "
	    "reads\n", fd->conf.url,
	    (unsigned long long)(fd->conf.refresh_ms / 1000), tried, ok,
	    fd->last.entries, fd->last.lines, fd->last.refused,
	    fd->last.truncated ? " (truncated at max-entries)" : "",
	    (unsigned long long)fd->errors);
	for (size_t i = 0; i < fd->last.nshown; i++)
		fprintf(out, "# refused: %s\n", fd->last.shown[i]);
	if (fd->last_error[0] != '\0')
		fprintf(out, "# last error: %s (the last good list stays)\n",
		    fd->last_error);
	return true;
}

char *
fw_feeds_metrics(const struct fw_feeds *f, size_t *len)
{
	static const char *const head[] = {
	    "edged_group_feed_last_success_timestamp_seconds gauge "
	    "When the feed was last read whole (0: never)",
	    "edged_group_feed_entries gauge Entries the last good read "
	    "took",
	    "edged_group_feed_errors_total counter Reads that failed (the "
	    "last good list stayed)",
	};
	struct text t;
	FILE *out = text_open(&t);

	if (out == NULL || f->n == 0) {
		if (out != NULL)
			free(text_close(&t, NULL));
		*len = 0;
		return out == NULL ? NULL : strdup("");
	}
	for (size_t m = 0; m < 3; m++) {
		char name[64];

		sscanf(head[m], "%63s", name);
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name,
		    strchr(strchr(head[m], ' ') + 1, ' ') + 1, name,
		    m == 2 ? "counter" : "gauge");
		for (size_t i = 0; i < f->n; i++) {
			const struct feed *fd = f->v[i];

			fprintf(out, "%s{group=\"%s\"} ", name, fd->group);
			if (m == 0)
				fprintf(out, "%.0f\n", fd->last_success);
			else if (m == 1)
				fprintf(out, "%lu\n", fd->last.entries);
			else
				fprintf(out, "%llu\n",
				    (unsigned long long)fd->errors);
		}
	}
	return text_close(&t, len);
}
