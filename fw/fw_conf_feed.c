/*
 * fw/fw_conf_feed.c - an address-group fed from outside (fw_conf.h):
 *
 *     address-group web-servers {
 *         feed file:///var/lib/orchestrator/web.txt {
 *             refresh 10s            # default 5m, up to 10% sooner
 *             format list            # addresses, prefixes, ranges
 *             max-entries 150000     # beyond: the first ones, alarmed
 *         }
 *     }
 *
 * The master reads the feed again at each refresh (fw_feed.c) and puts
 * what changed into the group's sets; the group's members come from the
 * feed alone.
 */
#include <stdlib.h>
#include <string.h>

#include "fw_conf_int.h"
#include "util.h"

static int
set_refresh(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_duration(d, n, 1, 1000, 24 * 3600 * 1000ULL,
	    &((struct fw_feed *)obj)->refresh_ms);
}

static int
set_format(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const formats[] = { "list", NULL };
	unsigned k;

	(void)obj;
	return conf_get_keyword(d, n, 1, formats, &k);
}

static int
set_max_entries(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_uint(d, n, 1, 1, FW_FEED_ENTRIES_LIMIT,
	    &((struct fw_feed *)obj)->max_entries);
}

static const struct conf_directive feed_rows[] = {
	{ "refresh", 1, 1, CONF_NO_BLOCK, set_refresh, "refresh DURATION" },
	{ "format", 1, 1, CONF_NO_BLOCK, set_format, "format list" },
	{ "max-entries", 1, 1, CONF_NO_BLOCK, set_max_entries,
	    "max-entries N" },
};

/* file:///ABSOLUTE/PATH: 0, or -1 with an error saying what is taken */
static int
check_url(struct conf_diag *d, const struct conf_node *n,
    struct fw_feed *f)
{
	static const char file[] = "file://";
	const char *u = n->args[1];

	if (strlen(u) >= sizeof(f->url)) {
		conf_error(d, &n->argpos[1], "'feed': the URL is longer than "
		    "%zu bytes", sizeof(f->url) - 1);
		return -1;
	}
	if (strncmp(u, file, sizeof(file) - 1) != 0 ||
	    u[sizeof(file) - 1] != '/') {
		conf_error(d, &n->argpos[1], "'feed' expects file:///PATH (a "
		    "file the master reads; https:// is not supported yet), "
		    "not '%s'", u);
		return -1;
	}
	memcpy(f->url, u, strlen(u) + 1);
	return 0;
}

int
fw_group_feed(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_group *g = obj;
	struct fw_feed *f;
	char ctx[FW_NAME_MAX + 32];

	if (g->feed != NULL) {
		conf_error(d, &n->pos, "address-group %s has one feed (the "
		    "first at line %u)", g->name, g->feed->pos.line);
		return -1;
	}
	if (g->dynamic) {
		conf_error(d, &n->pos, "address-group %s is dynamic (edgectl "
		    "sets its members) or fed, not both", g->name);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return conf_oom(d, &n->pos);
	f->refresh_ms = FW_FEED_REFRESH_MS;
	f->max_entries = FW_FEED_MAX_ENTRIES;
	f->pos = n->pos;
	snprintf(ctx, sizeof(ctx), "feed of address-group %s", g->name);
	if (check_url(d, n, f) < 0 || (n->has_block && conf_apply(d, n, ctx,
	    feed_rows, ARRAY_LEN(feed_rows), f) > 0)) {
		free(f);
		return -1;
	}
	g->feed = f;
	g->dynamic = true;
	return 0;
}

void
fw_feed_print(const struct fw_feed *f, FILE *out)
{
	char d[32];

	conf_fmt_duration(d, sizeof(d), f->refresh_ms);
	fputs("    feed ", out);
	conf_print_word(out, f->url);
	fprintf(out, " {\n        refresh %s\n        format list\n"
	    "        max-entries %llu\n    }\n", d,
	    (unsigned long long)f->max_entries);
}
