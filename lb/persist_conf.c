/*
 * lb/persist_conf.c - persistence in the configuration (persist.h).
 */
#include <stdlib.h>
#include <string.h>

#include "persist.h"
#include "stick.h"
#include "util.h"

#define PERSIST_TIMEOUT	300000		/* 5 minutes, NSX's default */
#define PERSIST_ENTRIES	65536		/* a source-ip table's */

/* max-idle D, max-life D at word i (insert only: the dates travel in
 * edged's own cookie) */
static int
cookie_age(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct lb_persist_conf *p)
{
	if (p->mode != LB_COOKIE_INSERT) {
		conf_error(d, &n->argpos[i], "persistence cookie: '%s' goes "
		    "with insert (edged's own cookie carries the dates)",
		    n->args[i]);
		return -1;
	}
	if (i + 1 >= n->nargs) {
		conf_error(d, &n->argpos[i], "'%s' takes a duration",
		    n->args[i]);
		return -1;
	}
	return conf_get_duration(d, n, i + 1, 1000, 365ULL * 86400000,
	    n->args[i][4] == 'i' ? &p->max_idle : &p->max_life);
}

/* cookie NAME insert|prefix|rewrite [nocache] [httponly] [secure]
 * [max-idle D] [max-life D] */
static int
cookie(struct conf_diag *d, const struct conf_node *n,
    struct lb_persist_conf *p)
{
	static const char *const flags[] = { "nocache", "httponly", "secure",
	    NULL };
	unsigned f;

	if (n->nargs < 4) {
		conf_error(d, &n->pos, "usage: persistence cookie NAME "
		    "insert|prefix|rewrite [nocache] [httponly] [secure]");
		return -1;
	}
	if (conf_get_name(d, n, 2, p->cookie, sizeof(p->cookie)) < 0)
		return -1;
	static const char *const modes[] = { "insert", "prefix", "rewrite",
	    NULL };
	unsigned m;

	if (conf_get_keyword(d, n, 3, modes, &m) < 0)
		return -1;
	p->mode = m;
	for (size_t i = 4; i < n->nargs; i++) {
		if (strcmp(n->args[i], "max-idle") == 0 ||
		    strcmp(n->args[i], "max-life") == 0) {
			if (cookie_age(d, n, i++, p) < 0)
				return -1;
			continue;
		}
		if (conf_get_option(d, n, i, flags, &f) < 0)
			return -1;
		*(f == 0 ? &p->nocache : f == 1 ? &p->httponly :
		    &p->secure) = true;
	}
	p->kind = LB_PERSIST_COOKIE;
	return 0;
}

/* source-ip [timeout D] [mask /N] */
static int
source_ip(struct conf_diag *d, const struct conf_node *n,
    struct lb_persist_conf *p)
{
	static const char *const opts[] = { "timeout", "mask", NULL };
	unsigned o;
	char *end;
	long v;

	p->timeout = PERSIST_TIMEOUT;
	p->mask = 32;
	for (size_t i = 2; i < n->nargs; i += 2) {
		if (conf_get_option(d, n, i, opts, &o) < 0)
			return -1;
		if (i + 1 >= n->nargs) {
			conf_error(d, &n->argpos[i], "'%s' takes a value",
			    opts[o]);
			return -1;
		}
		if (o == 0 && conf_get_duration(d, n, i + 1, 1000,
		    LB_STICK_MS_MAX, &p->timeout) < 0)
			return -1;
		if (o == 1 && (n->args[i + 1][0] != '/' ||
		    (v = strtol(n->args[i + 1] + 1, &end, 10)) < 1 ||
		    v > 32 || *end != '\0')) {
			conf_error(d, &n->argpos[i + 1], "mask: an IPv4 prefix "
			    "length, /1 to /32, got '%s'", n->args[i + 1]);
			return -1;
		}
		if (o == 1)
			p->mask = (unsigned)v;
	}
	p->kind = LB_PERSIST_SOURCE_IP;
	return 0;
}

/* ssl-session-id [timeout D] */
static int
session_id(struct conf_diag *d, const struct conf_node *n,
    struct lb_persist_conf *p)
{
	p->timeout = PERSIST_TIMEOUT;
	if (n->nargs == 2)
		goto done;
	if (n->nargs != 4 || strcmp(n->args[2], "timeout") != 0) {
		conf_error(d, &n->pos, "usage: persistence ssl-session-id "
		    "[timeout DURATION]");
		return -1;
	}
	if (conf_get_duration(d, n, 3, 1000, LB_STICK_MS_MAX,
	    &p->timeout) < 0)
		return -1;
done:
	p->kind = LB_PERSIST_SSL_SESSION_ID;
	return 0;
}

int
lb_profile_persistence(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	static const char *const kinds[] = { "cookie", "source-ip",
	    "ssl-session-id", NULL };
	struct lb_profile_conf *pr = obj;
	struct lb_persist_conf p = { .pos = n->argpos[1] };
	unsigned k;

	if (pr->persist.kind != LB_PERSIST_NONE) {
		conf_error(d, &n->pos, "application-profile %s: one "
		    "persistence only", pr->name);
		return -1;
	}
	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	if ((k == 0 ? cookie(d, n, &p) : k == 1 ? source_ip(d, n, &p) :
	    session_id(d, n, &p)) < 0)
		return -1;
	pr->persist = p;
	return 0;
}

/* The table of source-ip profile pr, named after it. */
static int
add_table(struct lb_conf *c, struct lb_profile_conf *pr,
    struct conf_diag *d)
{
	struct lb_stick_conf s = { .type = LB_STICK_IP, .size =
	    PERSIST_ENTRIES, .expire = pr->persist.timeout,
	    .store = LB_STICK_GPC0, .implicit = true,
	    .pos = pr->persist.pos }, *slot;

	if (pr->persist.kind == LB_PERSIST_SSL_SESSION_ID) {
		s.type = LB_STICK_STRING;
		s.key_len = 32;
	}

	snprintf(s.name, sizeof(s.name), "persist.%.50s", pr->name);
	for (size_t i = 0; i < c->nsticks; i++)
		if (strcmp(c->sticks[i].name, s.name) == 0) {
			conf_error(d, &c->sticks[i].pos, "stick-table %s: the "
			    "name of application-profile %s's persistence "
			    "table", s.name, pr->name);
			return -1;
		}
	if ((slot = conf_push(&c->sticks, &c->nsticks, sizeof(s))) == NULL)
		return conf_oom(d, &pr->persist.pos);
	*slot = s;
	pr->persist.table = c->nsticks - 1;
	return 0;
}

unsigned
lb_persist_resolve(struct lb_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < c->nprofiles; i++) {
		struct lb_profile_conf *pr = &c->profiles[i];

		if (pr->persist.kind != LB_PERSIST_NONE &&
		    pr->type == LB_PROFILE_KERNEL) {
			conf_error(d, &pr->persist.pos, "application-profile "
			    "%s: the kernel keeps a flow on its member, and "
			    "keeps no table across flows: algorithm ip-hash "
			    "keeps a client on one member", pr->name);
			errors++;
			continue;
		}
		if (pr->persist.kind != LB_PERSIST_NONE &&
		    pr->type == LB_PROFILE_UDP) {
			conf_error(d, &pr->persist.pos, "application-profile "
			    "%s: a udp session keeps its member while it "
			    "lives, and persistence across sessions is not "
			    "there for udp: algorithm ip-hash keeps a client "
			    "on one member", pr->name);
			errors++;
			continue;
		}
		if (pr->persist.kind == LB_PERSIST_COOKIE &&
		    lb_profile_l4(pr->type)) {
			conf_error(d, &pr->persist.pos, "application-profile "
			    "%s: cookie persistence needs HTTP (an http or "
			    "https profile)", pr->name);
			errors++;
		}
		if (pr->persist.kind == LB_PERSIST_SSL_SESSION_ID &&
		    pr->type != LB_PROFILE_PASSTHROUGH) {
			conf_error(d, &pr->persist.pos, "application-profile "
			    "%s: ssl-session-id persistence is for "
			    "ssl-passthrough (edged sees the session id only "
			    "there)", pr->name);
			errors++;
		}
		if ((pr->persist.kind == LB_PERSIST_SOURCE_IP ||
		    pr->persist.kind == LB_PERSIST_SSL_SESSION_ID) &&
		    add_table(c, pr, d) < 0)
			errors++;
	}
	return errors;
}

void
lb_persist_print(const struct lb_persist_conf *p, FILE *out)
{
	char buf[32];

	static const char *const modes[] = { "insert", "prefix", "rewrite" };

	if (p->kind == LB_PERSIST_COOKIE) {
		fprintf(out, "    persistence cookie %s %s%s%s%s", p->cookie,
		    modes[p->mode], p->nocache ? " nocache" : "", p->httponly ?
		    " httponly" : "", p->secure ? " secure" : "");
		if (p->max_idle > 0) {
			conf_fmt_duration(buf, sizeof(buf), p->max_idle);
			fprintf(out, " max-idle %s", buf);
		}
		if (p->max_life > 0) {
			conf_fmt_duration(buf, sizeof(buf), p->max_life);
			fprintf(out, " max-life %s", buf);
		}
		fputc('\n', out);
	} else if (p->kind == LB_PERSIST_SOURCE_IP) {
		conf_fmt_duration(buf, sizeof(buf), p->timeout);
		fprintf(out, "    persistence source-ip timeout %s mask /%u\n",
		    buf, p->mask);
	} else if (p->kind == LB_PERSIST_SSL_SESSION_ID) {
		conf_fmt_duration(buf, sizeof(buf), p->timeout);
		fprintf(out, "    persistence ssl-session-id timeout %s\n",
		    buf);
	}
}
