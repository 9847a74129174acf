/*
 * conf/haproxy.c - HAProxy's words, and what edged calls them.
 *
 * Most operators come to edged from HAProxy and type its words first:
 * `server` in a pool, `balance roundrobin`, `TLSv1.2`.  A "did you mean"
 * computed from spelling cannot find `member` from `server`, so the
 * translations are written down here, in one table, and the places that
 * report an unknown word (directives, top-level blocks, keyword values)
 * look a word up here before they fall back to spelling.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "util.h"

/* Where HAProxy's word stands in a statement. */
enum ha_place {
	HA_SECTION,			/* a top-level section: frontend */
	HA_DIRECTIVE,			/* a directive in a section: server */
	HA_VALUE,			/* a keyword value: roundrobin */
};

struct ha_word {
	enum ha_place place;
	const char *word;		/* HAProxy's word, matched exactly */
	/*
	 * HA_DIRECTIVE: a word that must also be on the line (NULL: any);
	 * HA_VALUE: the directive whose value it is (NULL: any).
	 */
	const char *with;
	const char *edged;		/* edged's word, quoted, or NULL */
	/* The blocks edged's word goes in, separated by spaces; named in
	 * the hint unless the error is already in one of them. */
	const char *homes;
	const char *note;		/* said after edged's word, or alone */
};

static const struct ha_word ha_words[] = {
	{ HA_SECTION, "frontend", NULL, "'virtual-server'", NULL, NULL },
	{ HA_SECTION, "backend", NULL, "'pool'", NULL, NULL },
	{ HA_SECTION, "listen", NULL, NULL, NULL,
	    "edged splits HAProxy's 'listen' into a 'virtual-server' (its "
	    "bind side) and a 'pool' (its servers)" },

	{ HA_DIRECTIVE, "server", NULL, "'member'", "pool", NULL },
	{ HA_DIRECTIVE, "balance", NULL, "'algorithm'", "pool", NULL },
	{ HA_DIRECTIVE, "maxconn", NULL, "'max-connections'",
	    "global virtual-server", NULL },
	{ HA_DIRECTIVE, "bind", "ssl", "'listen'", "virtual-server",
	    "for 'ssl crt', edged takes a 'certificate' block, named by "
	    "'certificates' in an application-profile of 'type https'" },
	{ HA_DIRECTIVE, "bind", NULL, "'listen'", "virtual-server", NULL },
	{ HA_DIRECTIVE, "source", NULL, "'source-address'", "pool", NULL },
	{ HA_DIRECTIVE, "default_backend", NULL, "'default-pool'",
	    "virtual-server", NULL },
	{ HA_DIRECTIVE, "use_backend", NULL, NULL, NULL,
	    "edged takes HAProxy's 'use_backend' lines as written in an "
	    "'application-rule' block, which a virtual-server runs with "
	    "'rules NAME'" },
	{ HA_DIRECTIVE, "mode", "http", "'type http'", "application-profile",
	    NULL },
	{ HA_DIRECTIVE, "mode", "tcp", "'type tcp'", "application-profile",
	    "for TLS passed through untouched and routed by its SNI, "
	    "'type ssl-passthrough'" },
	{ HA_DIRECTIVE, "mode", NULL, "'type'", "application-profile", NULL },
	{ HA_DIRECTIVE, "option", "forwardfor", "'x-forwarded-for insert'",
	    "application-profile", NULL },
	{ HA_DIRECTIVE, "option", "httpchk", "a 'monitor' block of "
	    "'type http'", NULL, "a pool names it with 'monitor NAME'" },
	{ HA_DIRECTIVE, "ssl-min-ver", NULL, "'min-version'", "tls", NULL },
	{ HA_DIRECTIVE, "crt", NULL, "'cert'", "certificate", NULL },

	{ HA_VALUE, "roundrobin", "algorithm", "'round-robin'", NULL, NULL },
	{ HA_VALUE, "leastconn", "algorithm", "'least-conn'", NULL, NULL },
	{ HA_VALUE, "source", "algorithm", "'ip-hash'", NULL, NULL },
	{ HA_VALUE, "url_param", "algorithm", "'url-param'", NULL, NULL },
	{ HA_VALUE, "hdr", "algorithm", "'header'", NULL, NULL },
	{ HA_VALUE, "TLSv1.0", NULL, "'1.0'", NULL, NULL },
	{ HA_VALUE, "TLSv1.1", NULL, "'1.1'", NULL, NULL },
	{ HA_VALUE, "TLSv1.2", NULL, "'1.2'", NULL, NULL },
	{ HA_VALUE, "TLSv1.3", NULL, "'1.3'", NULL, NULL },
	{ HA_VALUE, "SSLv3", NULL, NULL, NULL,
	    "SSLv3 is not supported: TLS 1.0 is the oldest edged speaks" },
	{ HA_VALUE, "check", "member", NULL, NULL,
	    "edged checks members with a 'monitor' block, which the pool "
	    "names with 'monitor NAME' (HAProxy's 'check')" },
	{ HA_VALUE, "inter", "member", "'interval'", "monitor", NULL },
	{ HA_VALUE, "rise", "member", "'rise'", "monitor", NULL },
	{ HA_VALUE, "fall", "member", "'fall'", "monitor", NULL },
	{ HA_VALUE, "port", "member", "'monitor-port'", NULL, NULL },
	{ HA_VALUE, "slowstart", "member", "'slow-start'", "pool", NULL },
	{ HA_VALUE, "maxconn", "member", "'max-connections'", NULL, NULL },
	{ HA_VALUE, "ssl", "member", NULL, NULL,
	    "edged speaks TLS to members through a 'tls { }' block in the "
	    "pool (HAProxy's 'ssl')" },
	{ HA_VALUE, "send-proxy-v2", "member", "'send-proxy v2'", NULL,
	    NULL },
};

/* Whether word is one of the space-separated words of list. */
static bool
in_list(const char *list, const char *word, size_t len)
{
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

/*
 * Whether context ("pool web", "application-profile web tls") is one of
 * homes: its first word names the block, and a last word "tls" the
 * block inside it.
 */
static bool
in_home(const char *context, const char *homes)
{
	const char *last;

	if (context == NULL)
		return false;
	if (in_list(homes, context, strcspn(context, " ")))
		return true;
	last = strrchr(context, ' ');
	return last != NULL && in_list(homes, last + 1, strlen(last + 1));
}

/* " in a 'pool' block", " in a 'global' or 'virtual-server' block". */
static void
fmt_homes(char *buf, size_t size, const char *homes)
{
	const char *p = homes;
	size_t off, n;

	off = (size_t)snprintf(buf, size, " in %s",
	    strchr("aeiou", homes[0]) != NULL ? "an" : "a");
	while (*p != '\0' && off < size) {
		n = strcspn(p, " ");
		off += (size_t)snprintf(buf + off, size - off, "%s'%.*s'",
		    p == homes ? " " : " or ", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	if (off < size)
		snprintf(buf + off, size - off, " block");
}

/* Whether quoted ("'rise'") is word in quotes. */
static bool
same_word(const char *quoted, const char *word)
{
	size_t n = strlen(word);

	return quoted[0] == '\'' && strncmp(quoted + 1, word, n) == 0 &&
	    strcmp(quoted + 1 + n, "'") == 0;
}

/* Writes the hint for row w, which matched word shown as `shown`. */
static const char *
fmt_hint(const struct ha_word *w, const char *shown, const char *context,
    char *buf, size_t size)
{
	char where[96] = "";

	if (w->edged == NULL) {
		snprintf(buf, size, "; %s", w->note);
		return buf;
	}
	if (w->homes != NULL && !in_home(context, w->homes))
		fmt_homes(where, sizeof(where), w->homes);
	/* "rise" is "rise" in both: only its place differs. */
	if (same_word(w->edged, shown) && where[0] != '\0') {
		snprintf(buf, size, "; in edged, %s goes%s", w->edged, where);
		return buf;
	}
	snprintf(buf, size, "; edged calls it %s%s (HAProxy's '%s')%s%s",
	    w->edged, where, shown, w->note != NULL ? "; " : "",
	    w->note != NULL ? w->note : "");
	return buf;
}

/* Whether with is one of the words of n after its first. */
static bool
on_line(const struct conf_node *n, const char *with)
{
	for (size_t i = 1; i < n->nargs; i++)
		if (strcmp(n->args[i], with) == 0)
			return true;
	return false;
}

/* The first row at place that matches directive n, or NULL. */
static const struct ha_word *
find_directive(enum ha_place place, const struct conf_node *n)
{
	for (size_t i = 0; i < ARRAY_LEN(ha_words); i++) {
		const struct ha_word *w = &ha_words[i];

		if (w->place == place && strcmp(w->word, n->args[0]) == 0 &&
		    (w->with == NULL || on_line(n, w->with)))
			return w;
	}
	return NULL;
}

const char *
conf_haproxy_directive(const struct conf_node *n, const char *context,
    char *buf, size_t size)
{
	const struct ha_word *w = NULL;
	char shown[64];

	if (context != NULL && strcmp(context, "top level") == 0)
		w = find_directive(HA_SECTION, n);
	if (w == NULL)
		w = find_directive(HA_DIRECTIVE, n);
	if (w == NULL)
		return NULL;
	/* "option forwardfor" is HAProxy's word; "bind ... ssl" is not. */
	if (w->with != NULL && n->nargs > 1 &&
	    strcmp(n->args[1], w->with) == 0)
		snprintf(shown, sizeof(shown), "%s %s", w->word, w->with);
	else
		snprintf(shown, sizeof(shown), "%s", w->word);
	return fmt_hint(w, shown, context, buf, size);
}

const char *
conf_haproxy_value(const struct conf_node *n, size_t i, char *buf,
    size_t size)
{
	if (i >= n->nargs)
		return NULL;
	for (size_t k = 0; k < ARRAY_LEN(ha_words); k++) {
		const struct ha_word *w = &ha_words[k];

		if (w->place == HA_VALUE && strcmp(w->word, n->args[i]) == 0 &&
		    (w->with == NULL || strcmp(w->with, n->args[0]) == 0))
			return fmt_hint(w, w->word, NULL, buf, size);
	}
	return NULL;
}
