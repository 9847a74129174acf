/*
 * fw/fw_feed.c - the feeds' runtime in the master (fw_feed.h).
 *
 * Each feed has a timer: at each refresh (up to 10% sooner, so that
 * feeds started together drift apart) the master reads the file, or
 * begins a GET of the URL (fw_fetch.c: in the loop, never blocking it).
 * When it is the same file as at the last good read (inode, size,
 * times), or the server answers 304 to a GET made conditional by the
 * last good answer's ETag and Last-Modified, the read is good and
 * nothing more is done; else the text is parsed in the feed's format and
 * the members handed to apply, which sends only what changed to the
 * kernel.  A file that cannot be read, a GET that fails (no answer, TLS,
 * an HTTP error, too big, too slow), a text that is not in the format
 * or of whose entries none is an address, keeps the last good list and
 * says why: in the log (when the reason changes), in `edgectl group
 * show`, and in the metrics.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "file.h"
#include "fw_dyn.h"
#include "fw_feed.h"
#include "fw_fetch.h"
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
	bool have_seen;			/* that read (or answer) is in force */
	/* a feed fetched over HTTP(S) */
	struct fw_fetch *fetch;		/* the GET running; NULL none */
	char etag[FW_FETCH_ETAG_MAX];	/* the last good answer's */
	char last_modified[FW_FETCH_DATE_MAX];
	unsigned char digest[32];	/* SHA-256 of its body: a server
					 * without validators answers the
					 * same bytes, taken as a 304 */
};

struct fw_feeds {
	struct ev_loop *loop;
	fw_feed_apply_fn *apply;
	fw_feed_changed_fn *changed;
	void *arg;
	struct fw_fetcher *fetcher;	/* the master's, for the URLs */
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
	/* as kept: a long reason cut the same way each time */
	if (strncmp(fd->last_error, why, sizeof(fd->last_error) - 1) != 0)
		log_warn("firewall: feed of address-group %s (%s): %s; the "
		    "last good list stays", fd->group, fd->conf.url, why);
	snprintf(fd->last_error, sizeof(fd->last_error), "%s", why);
}

/* what a feed's entries are: "lines", "values" */
static const char *
units(const struct feed *fd)
{
	return fd->conf.format == FW_FEED_LIST ? "lines" : "values";
}

/* members as a list's text, one a line: what a restart reads back of a
 * feed whose own text is in another format; NULL out of memory */
static char *
members_text(const struct fw_prefix *v, size_t n, size_t *len)
{
	struct text t;
	FILE *out = text_open(&t);
	char buf[64];

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		fw_prefix_fmt(buf, sizeof(buf), &v[i]);
		fputs(buf, out);
		fputc('\n', out);
	}
	return text_close(&t, len);
}

/* a good read of a new text (begun at t0, clock_ms): l's members
 * sorted, given to apply; 0, or -1 told (the last good list stays) */
static int
take(struct feed *fd, struct fw_feed_list *l, const char *text, size_t len,
    uint64_t t0)
{
	struct fw_feeds *f = fd->owner;
	char err[512], *kept = NULL;
	size_t n = fw_dyn_sort(l->v, l->n);
	double kept_ms = 0;
	int r;

	if (fd->conf.format != FW_FEED_LIST && (text = kept =
	    members_text(l->v, n, &len)) == NULL) {
		failed(fd, "out of memory");
		return -1;
	}
	r = f->apply(f->arg, fd->g, l->v, n, text, len, &kept_ms, err,
	    sizeof(err));
	free(kept);
	if (r < 0) {
		failed(fd, err);
		return -1;		/* l->v still the caller's */
	}
	l->v = NULL;
	l->n = l->cap = 0;
	if (l->refused > 0)
		log_warn("firewall: feed of address-group %s: %lu of %lu %s "
		    "refused (first: %s)", fd->group, l->refused, l->lines,
		    units(fd), l->shown[0]);
	if (l->truncated)
		log_warn("firewall: feed of address-group %s: more than "
		    "max-entries %llu: the first %llu taken", fd->group,
		    (unsigned long long)fd->conf.max_entries,
		    (unsigned long long)fd->conf.max_entries);
	log_info("firewall: feed of address-group %s: %lu entries (%zu "
	    "members) from %s, applied in %.1f ms (kept for a restart in "
	    "%.1f ms more)", fd->group, l->entries, n, fd->conf.url,
	    (double)(clock_ms() - t0) - kept_ms, kept_ms);
	fw_feed_list_free(&fd->last);
	fd->last = *l;
	memset(l, 0, sizeof(*l));
	fd->have_seen = true;
	fd->last_success = wall();
	fd->last_error[0] = '\0';
	return 0;
}

/* text (len bytes) read in the feed's format and taken: 0, or -1 told */
static int
parse_take(struct feed *fd, const char *text, size_t len, uint64_t t0)
{
	struct fw_feed_list l;
	char why[400];
	int r;

	if (fw_feed_parse(&fd->conf, text, len, &l, why, sizeof(why)) < 0) {
		failed(fd, why);
		return -1;
	}
	if (l.entries == 0 && l.refused > 0) {
		snprintf(why, sizeof(why), "none of its %lu %s is an "
		    "address, a prefix or a range (%s)", l.lines, units(fd),
		    l.shown[0]);
		failed(fd, why);
		r = -1;
	} else
		r = take(fd, &l, text, len, t0);
	fw_feed_list_free(&l);
	return r;
}

static void
read_file(struct feed *fd)
{
	const char *path = FW_FEED_PATH(&fd->conf);
	struct stat st = { 0 };
	char *text = NULL, why[300];
	size_t len;
	uint64_t t0 = clock_ms();

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
	if (parse_take(fd, text, len, t0) == 0)
		fd->seen = st;
	free(text);
}

/* a GET of the feed ended: fw_fetch_done_fn */
static void
fetched(void *arg, struct fw_fetch_res *r)
{
	struct feed *fd = arg;
	unsigned char digest[sizeof(fd->digest)] = { 0 };
	bool same;

	fd->fetch = NULL;
	if (r->status == 200)
		(void)EVP_Digest(r->body, r->len, digest, NULL, EVP_sha256(),
		    NULL);
	same = fd->have_seen && (r->status == 304 || (r->status == 200 &&
	    memcmp(digest, fd->digest, sizeof(digest)) == 0));
	if (r->status == 0)
		failed(fd, r->error);
	else if (same) {
		fd->last_success = wall();
		fd->last_error[0] = '\0';
	} else if (r->status == 304)
		failed(fd, "the server answered 304 (not modified) to a GET "
		    "that was not conditional");
	else if (parse_take(fd, r->body, r->len, clock_ms()) == 0)
		memcpy(fd->digest, digest, sizeof(digest));
	/* the validators of the body in force */
	if (r->status == 200 && fd->have_seen && memcmp(digest, fd->digest,
	    sizeof(digest)) == 0) {
		memcpy(fd->etag, r->etag, sizeof(fd->etag));
		memcpy(fd->last_modified, r->last_modified,
		    sizeof(fd->last_modified));
	}
	free(r->body);
	fd->owner->changed(fd->owner->arg);
}

/* a GET begun, conditional when a good answer is in force; none while
 * the last one runs (its timeout ends it) */
static void
fetch(struct feed *fd)
{
	struct fw_feeds *f = fd->owner;
	struct fw_fetch_req q = {
		.url = fd->conf.url,
		.ca = fd->conf.ca,
		.header = fd->conf.header,
		.etag = fd->have_seen ? fd->etag : NULL,
		.last_modified = fd->have_seen ? fd->last_modified : NULL,
		.timeout_ms = fd->conf.timeout_ms,
		.max_bytes = FW_FEED_FILE_MAX,
	};
	char err[300];

	if (fd->fetch != NULL)
		return;
	if ((fd->fetch = fw_fetch_start(f->fetcher, &q, fetched, fd, err,
	    sizeof(err))) == NULL)
		failed(fd, err);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct feed *fd = t->data;
	double next = fd->conf.refresh_ms / 1000.0;

	(void)revents;
	fd->last_attempt = wall();
	if (FW_FEED_IS_FILE(&fd->conf))
		read_file(fd);
	else
		fetch(fd);
	/* up to 10% sooner */
	next -= next * 0.1 * ((double)random() / RAND_MAX);
	ev_timer_stop(loop, t);
	ev_timer_set(t, next, 0.);
	ev_timer_start(loop, t);
	fd->owner->changed(fd->owner->arg);
}

struct fw_feeds *
fw_feeds_new(struct ev_loop *loop, struct fw_fetcher *fetcher,
    fw_feed_apply_fn *apply, fw_feed_changed_fn *changed, void *arg)
{
	struct fw_feeds *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->loop = loop;
	f->fetcher = fetcher;
	f->apply = apply;
	f->changed = changed;
	f->arg = arg;
	return f;
}

static void
feed_free(struct fw_feeds *f, struct feed *fd)
{
	ev_timer_stop(f->loop, &fd->timer);
	fw_fetch_cancel(fd->fetch);
	fw_feed_list_free(&fd->last);
	explicit_bzero(fd->conf.header, sizeof(fd->conf.header));
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

/* whether a and b read the same entries the same way */
static bool
same_source(const struct fw_feed *a, const struct fw_feed *b)
{
	bool same = strcmp(a->url, b->url) == 0 && a->max_entries ==
	    b->max_entries && a->format == b->format && a->njson ==
	    b->njson && a->timeout_ms == b->timeout_ms &&
	    strcmp(a->ca, b->ca) == 0 && strcmp(a->header, b->header) == 0;

	for (size_t i = 0; same && i < a->njson; i++)
		same = strcmp(a->json[i], b->json[i]) == 0;
	return same;
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
	if (!same_source(&fd->conf, g->feed)) {
		fd->have_seen = false;	/* read it whole at once */
		fw_fetch_cancel(fd->fetch);
		fd->fetch = NULL;
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
	    "%s\n# %lu entries from %lu %s, %lu refused%s; %llu failed "
	    "reads\n", fd->conf.url,
	    (unsigned long long)(fd->conf.refresh_ms / 1000), tried, ok,
	    fd->last.entries, fd->last.lines, units(fd), fd->last.refused,
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
