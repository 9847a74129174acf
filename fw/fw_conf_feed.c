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
 *     address-group threat-feed {
 *         feed https://intel.example.net/blocklist.json {
 *             format json .entries[].prefix   # up to 8 paths
 *             timeout 30s            # a fetch's whole time
 *             ca /etc/edged/feeds-ca.pem      # default: the system's
 *             header "Authorization: Bearer ..."  # printed <hidden>
 *         }
 *     }
 *
 * The master reads the feed again at each refresh (fw_feed.c) and puts
 * what changed into the group's sets; the group's members come from the
 * feed alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_conf_int.h"
#include "fw_feed.h"
#include "util.h"

static int
set_refresh(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_duration(d, n, 1, 1000, 24 * 3600 * 1000ULL,
	    &((struct fw_feed *)obj)->refresh_ms);
}

static int
set_timeout(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_duration(d, n, 1, 1000, 10 * 60 * 1000ULL,
	    &((struct fw_feed *)obj)->timeout_ms);
}

/* format list | format json [PATH...] */
static int
set_format(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const formats[] = { "list", "json", NULL };
	struct fw_feed *f = obj;
	const char *why;
	unsigned k;

	if (conf_get_keyword(d, n, 1, formats, &k) < 0)
		return -1;
	f->format = k == 0 ? FW_FEED_LIST : FW_FEED_JSON;
	if (k == 0 && n->nargs > 2) {
		conf_error(d, &n->argpos[2], "'format list' takes nothing "
		    "more (paths are for 'format json')");
		return -1;
	}
	f->njson = 0;
	for (size_t i = 2; i < n->nargs; i++) {
		if (strlen(n->args[i]) >= sizeof(f->json[0]) ||
		    fw_feed_json_path_check(n->args[i], &why) < 0) {
			conf_error(d, &n->argpos[i], "'format json': '%.*s' "
			    "is not a path (.KEY and [] steps, as jq writes "
			    "them: .prefixes[].ip_prefix): %s", 40,
			    n->args[i], strlen(n->args[i]) >=
			    sizeof(f->json[0]) ? "too long" : why);
			return -1;
		}
		memcpy(f->json[f->njson++], n->args[i],
		    strlen(n->args[i]) + 1);
	}
	return 0;
}

static int
set_max_entries(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_uint(d, n, 1, 1, FW_FEED_ENTRIES_LIMIT,
	    &((struct fw_feed *)obj)->max_entries);
}

static int
set_ca(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_feed *f = obj;
	const char *p = n->args[1];

	if (p[0] != '/' || strlen(p) >= sizeof(f->ca)) {
		conf_error(d, &n->argpos[1], "'ca' expects the absolute path "
		    "of a PEM file of CA certificates (up to %zu bytes)",
		    sizeof(f->ca) - 1);
		return -1;
	}
	memcpy(f->ca, p, strlen(p) + 1);
	return 0;
}

/* "Name: value", printable, sent as it is; the value is a secret, so
 * no error repeats it */
static int
set_header(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_feed *f = obj;
	const char *h = n->args[1], *colon = strchr(h, ':');
	size_t len = strlen(h);
	/* a name and a value: "Name:" alone would make libcurl remove
	 * the header, not send it */
	bool ok = colon != NULL && colon > h && len < sizeof(f->header) &&
	    colon[1 + strspn(colon + 1, " \t")] != '\0';

	for (const char *c = h; ok && c < colon; c++)
		ok = (*c >= '!' && *c <= '~');
	for (size_t i = 0; ok && i < len; i++)
		ok = (unsigned char)h[i] >= 0x20 && h[i] != 0x7f;
	if (!ok) {
		conf_error(d, &n->argpos[1], "'header' expects \"Name: "
		    "value\" (a token, a colon, printable text that is not "
		    "empty; quoted; up to %zu bytes)", sizeof(f->header) - 1);
		return -1;
	}
	memcpy(f->header, h, len + 1);
	return 0;
}

static const struct conf_directive feed_rows[] = {
	{ "refresh", 1, 1, CONF_NO_BLOCK, set_refresh, "refresh DURATION" },
	{ "format", 1, 1 + FW_FEED_JSON_PATHS, CONF_NO_BLOCK, set_format,
	    "format list | format json [PATH...]" },
	{ "max-entries", 1, 1, CONF_NO_BLOCK, set_max_entries,
	    "max-entries N" },
	{ "timeout", 1, 1, CONF_NO_BLOCK, set_timeout, "timeout DURATION" },
	{ "ca", 1, 1, CONF_NO_BLOCK, set_ca, "ca PATH" },
	{ "header", 1, 1, CONF_NO_BLOCK, set_header, "header \"NAME: VALUE\"" },
};

/* what follows scheme:// up to the path: a host, no credentials */
static const char *
bad_authority(const char *a)
{
	size_t n = strcspn(a, "/?#");

	if (n == 0)
		return "no host";
	if (memchr(a, '@', n) != NULL)
		return "credentials in the URL would show in logs and in "
		    "edged -T: give them with 'header' (Authorization)";
	return NULL;
}

/* whether a URL's query names a credential: token=, key=, sig=... */
static bool
secret_query(const char *u)
{
	static const char *const words[] = { "token", "key", "sig",
	    "secret", "pass", "auth", NULL };
	const char *q = strchr(u, '?');

	for (size_t i = 0; q != NULL && words[i] != NULL; i++)
		if (strcasestr(q, words[i]) != NULL)
			return true;
	return false;
}

/* file:///PATH, https://HOST..., http://HOST...: 0, or -1 with an error
 * saying what is taken */
static int
check_url(struct conf_diag *d, const struct conf_node *n,
    struct fw_feed *f)
{
	const char *u = n->args[1], *why = NULL;
	size_t len = strlen(u);

	if (len >= sizeof(f->url)) {
		conf_error(d, &n->argpos[1], "'feed': the URL is longer than "
		    "%zu bytes", sizeof(f->url) - 1);
		return -1;
	}
	for (size_t i = 0; why == NULL && i < len; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			why = "blanks and control characters are written "
			    "%XX in a URL";
	if (why == NULL && strncmp(u, "https://", 8) == 0)
		why = bad_authority(u + 8);
	else if (why == NULL && strncmp(u, "http://", 7) == 0)
		why = bad_authority(u + 7);
	else if (why == NULL && strncmp(u, "file:///", 8) != 0)
		why = "expected file:///PATH (a file the master reads), "
		    "https://HOST/... or http://HOST/...";
	if (why == NULL && secret_query(u))
		conf_warning(d, &n->argpos[1], "'feed': the URL's query looks "
		    "like it holds a credential: it shows in the log, in "
		    "edgectl group show and in edged -T; send it with "
		    "'header' instead, where the publisher takes one");
	if (why != NULL) {
		/* a URL with credentials is not repeated */
		conf_error(d, &n->argpos[1], "'feed' %.60s: %s",
		    strstr(why, "credentials") == NULL ? u : "URL", why);
		return -1;
	}
	memcpy(f->url, u, len + 1);
	return 0;
}

/* what only a fetch over HTTP(S) uses, refused elsewhere */
static int
check_fetch_only(struct conf_diag *d, const struct fw_feed *f,
    const struct conf_node *n)
{
	bool file = FW_FEED_IS_FILE(f), https = strncmp(f->url, "https:",
	    6) == 0;

	for (size_t i = 0; n->has_block && i < n->nchildren; i++) {
		const struct conf_node *c = &n->children[i];
		const char *w = c->args[0];

		if ((strcmp(w, "timeout") == 0 && file) ||
		    ((strcmp(w, "ca") == 0 || strcmp(w, "header") == 0) &&
		    !https)) {
			conf_error(d, &c->pos, "'%s' is for feeds fetched "
			    "over %s, not %s", w, w[0] == 't' ? "HTTP(S)" :
			    w[0] == 'c' ? "HTTPS" : "HTTPS (a header over "
			    "http:// would cross the network in clear)",
			    f->url);
			return -1;
		}
	}
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
	f->timeout_ms = FW_FEED_TIMEOUT_MS;
	f->pos = n->pos;
	snprintf(ctx, sizeof(ctx), "feed of address-group %s", g->name);
	if (check_url(d, n, f) < 0 || (n->has_block && conf_apply(d, n, ctx,
	    feed_rows, ARRAY_LEN(feed_rows), f) > 0) ||
	    check_fetch_only(d, f, n) < 0) {
		explicit_bzero(f->header, sizeof(f->header));
		free(f);
		return -1;
	}
	g->feed = f;
	g->dynamic = true;
	return 0;
}

/* the CA file a feed names, readable (by the master, which reads it at
 * each fetch): 0, or 1 with an error */
static unsigned
check_ca(const struct fw_group *g, struct conf_diag *d)
{
	int fd;

	if (g->feed->ca[0] == '\0')
		return 0;
	if ((fd = open(g->feed->ca, O_RDONLY | O_CLOEXEC)) < 0) {
		conf_error(d, &g->feed->pos, "feed of address-group %s: ca "
		    "%s: %s", g->name, g->feed->ca, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/* a header (a secret) read back as edged -T hides it, or in a file
 * anyone can read: 1 with an error */
static unsigned
check_header(const struct fw_group *g, struct conf_diag *d)
{
	const struct fw_feed *f = g->feed;
	const char *v = strchr(f->header, ':');
	struct stat st;

	if (f->header[0] == '\0')
		return 0;
	v += strspn(v + 1, " \t") + 1;
	if (conf_secret_hidden(v)) {
		conf_error(d, &f->pos, "feed of address-group %s: the header's "
		    "value reads %s, as edged -T prints it: write the value "
		    "itself", g->name, CONF_HIDDEN);
		return 1;
	}
	if (stat(f->pos.file, &st) == 0 && (st.st_mode & S_IROTH) != 0) {
		conf_error(d, &f->pos, "feed of address-group %s: %s holds "
		    "its header, a secret, and any user can read it (mode "
		    "%04o): make it readable by root only (chmod o-rwx)",
		    g->name, f->pos.file, (unsigned)(st.st_mode & 07777));
		return 1;
	}
	return 0;
}

unsigned
fw_conf_check_feeds(const struct fw_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i].feed != NULL)
			errors += check_ca(&c->groups[i], d) +
			    check_header(&c->groups[i], d);
	return errors;
}

void
fw_feed_print(const struct fw_feed *f, bool secrets, FILE *out)
{
	char d[32];

	conf_fmt_duration(d, sizeof(d), f->refresh_ms);
	fputs("    feed ", out);
	conf_print_word(out, f->url);
	fprintf(out, " {\n        refresh %s\n        format %s", d,
	    f->format == FW_FEED_LIST ? "list" : "json");
	for (size_t i = 0; i < f->njson; i++) {
		fputc(' ', out);
		conf_print_word(out, f->json[i]);
	}
	fprintf(out, "\n        max-entries %llu\n",
	    (unsigned long long)f->max_entries);
	if (!FW_FEED_IS_FILE(f)) {
		conf_fmt_duration(d, sizeof(d), f->timeout_ms);
		fprintf(out, "        timeout %s\n", d);
	}
	if (f->ca[0] != '\0') {
		fputs("        ca ", out);
		conf_print_word(out, f->ca);
		fputc('\n', out);
	}
	if (f->header[0] != '\0') {
		const char *colon = strchr(f->header, ':');
		char h[FW_FEED_HEADER_MAX + 16];

		/* the name shown, the value hidden: "Authorization: <hidden>"
		 * is one word as the configuration reads it back */
		snprintf(h, sizeof(h), "%.*s: %s", (int)(colon - f->header),
		    f->header, secrets ? colon + 1 + strspn(colon + 1,
		    " \t") : CONF_HIDDEN);
		fputs("        header ", out);
		conf_print_word(out, h);
		explicit_bzero(h, sizeof(h));
		fputc('\n', out);
	}
	fputs("    }\n", out);
}
