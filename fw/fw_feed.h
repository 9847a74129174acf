/*
 * fw/fw_feed.h - address groups fed from outside: a feed's text read
 * into members (fw_feed_parse.c, also the fuzzer's), and the feeds'
 * runtime in the master (fw_feed.c): each read again at its refresh,
 * what changed put into the group's sets, the last good list kept when
 * a read fails (and across restarts: the text of the last good read,
 * kept as STATE-DIRECTORY/feeds/GROUP by the master's apply).
 */
#ifndef EDGED_FW_FEED_H
#define EDGED_FW_FEED_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fw_conf.h"

#define FW_FEED_SHOWN	3		/* refused lines told, per read */

/* A feed's text read: its members, what was refused. */
struct fw_feed_list {
	struct fw_prefix *v;		/* in the feed's order; a range as
					 * its prefixes */
	size_t n, cap;
	unsigned long lines;		/* read */
	unsigned long entries;		/* taken */
	unsigned long refused;		/* lines refused */
	bool truncated;			/* more than max entries: the first
					 * max taken */
	char shown[FW_FEED_SHOWN][160];	/* the first refused: "line N: ..." */
	size_t nshown;
};

/* text (len bytes), format list, at most max entries, into l: 0, or -1
 * out of memory (l then empty). */
int fw_feed_parse_list(const char *text, size_t len, uint64_t max,
    struct fw_feed_list *l);
void fw_feed_list_free(struct fw_feed_list *l);

/*
 * text (len bytes), format json: the strings that paths (npaths of
 * them; none: ".") lead to, each an address, a prefix or a range, at
 * most max entries, into l.  A path is jq's: ".", ".KEY" and "[]"
 * steps (".prefixes[].ip_prefix"); "[]" takes an array's elements or an
 * object's values, and where a path ends on an array its elements are
 * taken.  A value there that is not a string is refused as a list's bad
 * line is ("value N: ...").  Returns 0; -1 out of memory; -2 with err
 * when the text is not JSON, or when the paths found nothing to walk
 * (a key missing, a step on the wrong type) and so no value at all: a
 * feed whose shape changed, not an empty one (l then empty).
 */
int fw_feed_parse_json(const char *text, size_t len,
    const char (*paths)[FW_FEED_JSON_PATH_MAX], size_t npaths, uint64_t max,
    struct fw_feed_list *l, char *err, size_t errsize);
/* path as format json takes it: 0, or -1 with why */
int fw_feed_json_path_check(const char *path, const char **why);

/* a feed's text in its format (f's), as above: 0, -1, -2 with err */
int fw_feed_parse(const struct fw_feed *f, const char *text, size_t len,
    struct fw_feed_list *l, char *err, size_t errsize);

/* For the formats' readers: entry number no (its unit: "line", "value")
 * whose word is w, taken into l, refused (counted, the first few told)
 * or, past max, dropped as truncated: 0, or -1 out of memory; and an
 * entry refused for why. */
#define FW_FEED_WORD_MAX	(2 * 46 + 8)
int fw_feed_list_word(struct fw_feed_list *l, const char *w, uint64_t max,
    const char *unit, unsigned long no);
void fw_feed_list_refuse(struct fw_feed_list *l, const char *unit,
    unsigned long no, const char *w, const char *why);

/*
 * The runtime.  apply puts a group's new members (v[0..n), sorted and
 * unique, taken on success) into its sets, and keeps the text they came
 * from (len bytes) for a restart, saying in *kept_ms how long keeping
 * took: 0, or -1 with err (the last good list stays).  changed tells the
 * feeds' state changed (for the metrics).
 */
typedef int fw_feed_apply_fn(void *arg, const struct fw_group *g,
    struct fw_prefix *v, size_t n, const char *text, size_t len,
    double *kept_ms, char *err, size_t errsize);
typedef void fw_feed_changed_fn(void *arg);
struct fw_feeds;
struct fw_fetcher;

/* fetcher: the master's (fw_fetch.h), for the URLs; it outlives f */
struct fw_feeds *fw_feeds_new(struct ev_loop *loop, struct fw_fetcher *fetcher,
    fw_feed_apply_fn *apply, fw_feed_changed_fn *changed, void *arg);
void fw_feeds_free(struct fw_feeds *f);
/* c's feeds in force from now on: a new or changed one read at once, a
 * gone one stopped; the others go on, their groups now c's. */
void fw_feeds_sync(struct fw_feeds *f, const struct fw_conf *c);
/* group's feed, said for `edgectl group show`: "# " lines of text, or
 * JSON members ("feed":{...},); false when group has no feed. */
bool fw_feeds_status(const struct fw_feeds *f, const char *group, bool json,
    FILE *out);
/* the feeds' metrics, Prometheus text (NULL out of memory) */
char *fw_feeds_metrics(const struct fw_feeds *f, size_t *len);

#endif /* EDGED_FW_FEED_H */
