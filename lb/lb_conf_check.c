/*
 * lb/lb_conf_check.c - whole-configuration checks and the printer.
 *
 * Runs after every statement was applied: resolves the names one block
 * uses to refer to another, and prints the configuration in the normal
 * form that `edged -T` shows and that parses again to the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "lb.h"

/* Finds name among n objects of size sz whose name is their first field;
 * returns its index or n. */
static size_t
find_name(const void *arr, size_t n, size_t sz, const char *name)
{
	const char *p = arr;

	for (size_t i = 0; i < n; i++, p += sz)
		if (strcmp(p, name) == 0)
			return i;
	return n;
}

size_t
lb_conf_ref(struct conf_diag *d, const struct conf_pos *pos,
    const char *what, const char *name, const void *arr, size_t n,
    size_t sz)
{
	size_t found = find_name(arr, n, sz, name);
	const char **cands;
	char hint[128] = "";

	if (found < n)
		return found;
	if ((cands = calloc(n ? n : 1, sizeof(*cands))) != NULL) {
		for (size_t i = 0; i < n; i++)
			cands[i] = (const char *)arr + i * sz;
		conf_hint(name, cands, n, hint, sizeof(hint));
	}
	conf_error(d, pos, "unknown %s '%s'%s", what, name, hint);
	free(cands);
	return n;
}

/* A name left empty was missing or bad, and said so when it was read
 * (set_vs): only the names that were read are looked up. */
static unsigned
resolve_vs(struct lb_conf *c, struct lb_vs_conf *vs, struct conf_diag *d)
{
	unsigned before = d->nerrors;

	if (vs->profile[0] != '\0')
		vs->profile_idx = lb_conf_ref(d, &vs->profile_pos,
		    "application-profile", vs->profile, c->profiles,
		    c->nprofiles, sizeof(*c->profiles));
	if (vs->default_pool[0] != '\0')
		vs->pool_idx = lb_conf_ref(d, &vs->pool_pos, "pool",
		    vs->default_pool, c->pools, c->npools, sizeof(*c->pools));
	return d->nerrors - before;
}

static bool
same_sockaddr(const struct lb_listen_conf *a, const struct lb_listen_conf *b)
{
	return a->addrlen == b->addrlen &&
	    memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* Two listens on one address would share a port by accident. */
static unsigned
check_listen_dups(const struct lb_conf *c, struct conf_diag *d)
{
	size_t n = lb_conf_nlisteners(c);
	unsigned errors = 0;

	for (size_t i = 0; i < n; i++) {
		const struct lb_listen_conf *a = lb_conf_listener(c, i);

		for (size_t j = 0; j < i; j++) {
			const struct lb_listen_conf *b = lb_conf_listener(c, j);
			char buf[128];

			if (!same_sockaddr(a, b))
				continue;
			conf_fmt_sockaddr(buf, sizeof(buf), &a->addr);
			conf_error(d, &a->pos, "address %s is already used by "
			    "a listen at %s:%u:%u", buf, b->pos.file,
			    b->pos.line, b->pos.col);
			errors++;
			break;
		}
	}
	return errors;
}

/* The stats listener must not take a virtual server's address. */
static unsigned
check_stats_listen(const struct lb_conf *c, struct conf_diag *d)
{
	const struct lb_listen_conf st = { .addr = c->stats.addr,
	    .addrlen = c->stats.addrlen };
	char buf[128];

	if (!c->stats.enabled)
		return 0;
	for (size_t i = 0; i < lb_conf_nlisteners(c); i++) {
		const struct lb_listen_conf *l = lb_conf_listener(c, i);

		if (!same_sockaddr(&st, l))
			continue;
		conf_fmt_sockaddr(buf, sizeof(buf), &l->addr);
		conf_error(d, &c->stats.pos, "stats: address %s is already "
		    "used by a listen at %s:%u:%u", buf, l->pos.file,
		    l->pos.line, l->pos.col);
		return 1;
	}
	return 0;
}

unsigned
lb_conf_resolve(struct lb_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < c->ncerts; i++)
		errors += lb_cert_check(&c->certs[i], d);
	for (size_t i = 0; i < c->nmonitors; i++)
		errors += lb_monitor_check(&c->monitors[i], d);
	for (size_t i = 0; i < c->npools; i++) {
		struct lb_pool_conf *p = &c->pools[i];

		if (p->monitor[0] != '\0' && (p->monitor_idx = lb_conf_ref(
		    d, &p->monitor_pos, "monitor", p->monitor, c->monitors,
		    c->nmonitors, sizeof(*c->monitors))) == c->nmonitors)
			errors++;
	}
	for (size_t i = 0; i < c->nvservers; i++)
		errors += resolve_vs(c, &c->vservers[i], d);
	errors += lb_tls_conf_resolve(c, d);
	return errors + check_listen_dups(c, d) + check_stats_listen(c, d);
}

/* ---- printer ---- */

static void
print_timeouts(const struct lb_timeouts *t, FILE *out)
{
	const char *names[] = { "connect", "client", "server",
	    "http-request", "keep-alive" };
	const uint64_t vals[] = { t->connect, t->client, t->server,
	    t->http_request, t->keep_alive };
	char buf[32];

	fprintf(out, "defaults {\n");
	for (size_t i = 0; i < 5; i++) {
		conf_fmt_duration(buf, sizeof(buf), vals[i]);
		fprintf(out, "    timeout %s %s\n", names[i], buf);
	}
	fprintf(out, "}\n");
}

static void
print_profile(const struct lb_profile_conf *p, FILE *out)
{
	static const char *const types[] = { "http", "https",
	    "ssl-passthrough" };

	fprintf(out, "application-profile %s {\n", p->name);
	fprintf(out, "    type %s\n", types[p->type]);
	if (p->type != LB_PROFILE_PASSTHROUGH)
		fprintf(out, "    x-forwarded-for %s\n", p->xff_insert ?
		    "insert" : "none");
	lb_tls_print_profile(p, out);
	fprintf(out, "}\n");
}

static void
print_algorithm(const struct lb_pool_conf *p, FILE *out)
{
	static const char *const names[] = { "round-robin", "least-conn",
	    "ip-hash", "uri", "header", "url-param" };

	fprintf(out, "    algorithm %s", names[p->algo]);
	if (p->uri_length > 0)
		fprintf(out, " length %u", p->uri_length);
	if (p->uri_depth > 0)
		fprintf(out, " depth %u", p->uri_depth);
	if (p->key_name[0] != '\0') {
		fputc(' ', out);
		conf_print_word(out, p->key_name);
	}
	fputc('\n', out);
}

static void
print_pool(const struct lb_pool_conf *p, FILE *out)
{
	char buf[128];

	fprintf(out, "pool %s {\n", p->name);
	print_algorithm(p, out);
	if (p->monitor[0] != '\0')
		fprintf(out, "    monitor %s\n", p->monitor);
	if (p->slow_start > 0) {
		conf_fmt_duration(buf, sizeof(buf), p->slow_start);
		fprintf(out, "    slow-start %s\n", buf);
	}
	lb_tls_print_pool(p, out);
	for (size_t i = 0; i < p->nmembers; i++) {
		const struct lb_member_conf *m = &p->members[i];

		conf_fmt_sockaddr(buf, sizeof(buf), &m->addr);
		fprintf(out, "    member %s %s weight %u%s", m->name, buf,
		    m->weight, m->backup ? " backup" : "");
		if (m->monitor_port > 0)
			fprintf(out, " monitor-port %u", m->monitor_port);
		fputc('\n', out);
	}
	fprintf(out, "}\n");
}

static void
print_vs(const struct lb_vs_conf *vs, FILE *out)
{
	char buf[128];

	fprintf(out, "virtual-server %s {\n", vs->name);
	for (size_t i = 0; i < vs->nlistens; i++) {
		conf_fmt_sockaddr(buf, sizeof(buf), &vs->listens[i].addr);
		fprintf(out, "    listen %s\n", buf);
	}
	fprintf(out, "    profile %s\n", vs->profile);
	fprintf(out, "    default-pool %s\n", vs->default_pool);
	if (vs->max_connections > 0)
		fprintf(out, "    max-connections %llu\n",
		    (unsigned long long)vs->max_connections);
	if (vs->access_log[0] != '\0') {
		fprintf(out, "    access-log ");
		conf_print_word(out, vs->access_log);
		fprintf(out, " %s\n", vs->access_log_json ? "json" : "text");
	}
	fprintf(out, "}\n");
}

void
lb_conf_print(const struct lb_conf *c, FILE *out)
{
	print_timeouts(&c->timeouts, out);
	if (c->stats.enabled) {
		char buf[128];

		conf_fmt_sockaddr(buf, sizeof(buf), &c->stats.addr);
		fprintf(out, "stats {\n    listen %s\n}\n", buf);
	}
	for (size_t i = 0; i < c->ncerts; i++)
		lb_cert_print(&c->certs[i], out);
	for (size_t i = 0; i < c->nmonitors; i++)
		lb_monitor_print(&c->monitors[i], out);
	for (size_t i = 0; i < c->nprofiles; i++)
		print_profile(&c->profiles[i], out);
	for (size_t i = 0; i < c->npools; i++)
		print_pool(&c->pools[i], out);
	for (size_t i = 0; i < c->nvservers; i++)
		print_vs(&c->vservers[i], out);
}
