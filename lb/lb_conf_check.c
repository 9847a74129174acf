/*
 * lb/lb_conf_check.c - whole-configuration checks.
 *
 * Runs after every statement was applied: resolves the names one block
 * uses to refer to another, and checks what the whole file must hold
 * (every listen address once, the stats listener apart).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "lb.h"
#include "persist.h"
#include "rule_conf.h"
#include "mem.h"

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
	if ((cands = mem_array(n, sizeof(*cands))) != NULL) {
		for (size_t i = 0; i < n; i++)
			cands[i] = (const char *)arr + i * sz;
		conf_hint(name, cands, n, hint, sizeof(hint));
	}
	conf_error(d, pos, "unknown %s '%s'%s", what, name, hint);
	free(cands);
	return n;
}

/* A tcp virtual server reads no request: its pool's algorithm may not
 * hash a part of one (ip-hash hashes the client's address). */
static void
check_l4_algo(const struct lb_conf *c, const struct lb_vs_conf *vs,
    struct conf_diag *d)
{
	const struct lb_pool_conf *p = &c->pools[vs->pool_idx];
	const struct lb_profile_conf *pr = &c->profiles[vs->profile_idx];

	if ((pr->type != LB_PROFILE_TCP && pr->type != LB_PROFILE_UDP) ||
	    (p->algo != LB_ALGO_URI && p->algo != LB_ALGO_HEADER &&
	    p->algo != LB_ALGO_URL_PARAM))
		return;
	conf_error(d, p->algo_pos.file != NULL ? &p->algo_pos : &p->pos,
	    "pool %s: algorithm %s hashes a part of an HTTP request, and "
	    "virtual-server %s (application-profile %s, type %s) reads "
	    "none: round-robin, least-conn or ip-hash", p->name,
	    lb_algo_name(p->algo), vs->name, pr->name,
	    lb_profile_type_name(pr->type));
}

/* A udp virtual server's listens are datagram sockets (an l4-kernel
 * one's take datagrams too, for the duplicate check). */
static void
mark_udp(const struct lb_conf *c, struct lb_vs_conf *vs,
    struct conf_diag *d)
{
	const struct lb_profile_conf *pr = &c->profiles[vs->profile_idx];

	vs->kernel = pr->type == LB_PROFILE_KERNEL;
	for (size_t i = 0; i < vs->nlistens; i++) {
		struct lb_listen_conf *l = &vs->listens[i];

		l->udp = pr->type == LB_PROFILE_UDP ||
		    (vs->kernel && pr->kernel_udp);
		if (pr->type == LB_PROFILE_UDP && l->accept_proxy)
			conf_error(d, &l->pos, "virtual-server %s: "
			    "accept-proxy is for TCP, and this virtual "
			    "server's profile is udp", vs->name);
	}
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
	if (vs->profile[0] != '\0' && vs->profile_idx < c->nprofiles)
		mark_udp(c, vs, d);
	if (vs->profile[0] == '\0' || vs->default_pool[0] == '\0' ||
	    vs->profile_idx >= c->nprofiles || vs->pool_idx >= c->npools)
		return d->nerrors - before;
	if (vs->kernel)
		lb_kernel_check(c, vs, d);
	else {
		check_l4_algo(c, vs, d);
		lb_transparent_check(c, vs, d);
	}
	return d->nerrors - before;
}

static bool
same_sockaddr(const struct lb_listen_conf *a, const struct lb_listen_conf *b)
{
	return a->udp == b->udp && a->addrlen == b->addrlen &&
	    memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* Every listen of every virtual server, l4-kernel ones too, in file
 * order: a malloc'd array (NULL out of memory, after saying so). */
static const struct lb_listen_conf **
all_listens(const struct lb_conf *c, size_t *n, struct conf_diag *d)
{
	const struct lb_listen_conf **v;

	*n = 0;
	for (size_t i = 0; i < c->nvservers; i++)
		*n += c->vservers[i].nlistens;
	if ((v = mem_array(*n, sizeof(*v))) == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < c->nvservers; i++)
		for (size_t k = 0; k < c->vservers[i].nlistens; k++)
			v[(*n)++] = &c->vservers[i].listens[k];
	return v;
}

/* Two listens on one address would share a port by accident (or the
 * kernel's translation would take a proxied one's traffic). */
static unsigned
check_listen_dups(const struct lb_listen_conf **v, size_t n,
    struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < n; i++) {
		const struct lb_listen_conf *a = v[i];

		for (size_t j = 0; j < i; j++) {
			const struct lb_listen_conf *b = v[j];
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
check_stats_listen(const struct lb_conf *c, const struct lb_listen_conf **v,
    size_t n, struct conf_diag *d)
{
	const struct lb_listen_conf st = { .addr = c->stats.addr,
	    .addrlen = c->stats.addrlen };
	char buf[128];

	if (!c->stats.enabled)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct lb_listen_conf *l = v[i];

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

/* A source-address of one family cannot reach a member of the other,
 * and members see it or, transparent, the client's. */
static unsigned
check_source(const struct lb_pool_conf *p, struct conf_diag *d)
{
	char a[128];

	if (p->source.ss_family == AF_UNSPEC)
		return 0;
	if (p->transparent) {
		conf_error(d, &p->source_pos, "pool %s: source-address and "
		    "transparent on contradict each other: members see the "
		    "client's address, or this one", p->name);
		return 1;
	}
	for (size_t i = 0; i < p->nmembers; i++) {
		if (p->members[i].addr.ss_family == p->source.ss_family)
			continue;
		conf_fmt_sockaddr(a, sizeof(a), &p->members[i].addr);
		conf_error(d, &p->source_pos, "pool %s: source-address is "
		    "IPv%c and member %s (%s) is not: one family for both",
		    p->name, p->source.ss_family == AF_INET ? '4' : '6',
		    p->members[i].name, a);
		return 1;
	}
	return 0;
}

unsigned
lb_conf_resolve(struct lb_conf *c, struct conf_diag *d)
{
	const struct lb_listen_conf **listens;
	unsigned errors = 0;
	size_t n;

	for (size_t i = 0; i < c->ncerts; i++)
		errors += lb_cert_check(&c->certs[i], d);
	for (size_t i = 0; i < c->nmonitors; i++)
		errors += lb_monitor_check(&c->monitors[i], d);
	for (size_t i = 0; i < c->npools; i++) {
		struct lb_pool_conf *p = &c->pools[i];

		errors += check_source(p, d);
		if (p->monitor[0] != '\0' && (p->monitor_idx = lb_conf_ref(
		    d, &p->monitor_pos, "monitor", p->monitor, c->monitors,
		    c->nmonitors, sizeof(*c->monitors))) == c->nmonitors)
			errors++;
	}
	for (size_t i = 0; i < c->nvservers; i++)
		errors += resolve_vs(c, &c->vservers[i], d);
	errors += lb_tls_conf_resolve(c, d);
	errors += lb_persist_resolve(c, d);
	errors += lb_rules_conf_resolve(c, d);
	c->transparent_kinds = lb_transparent_kinds(c);
	if ((listens = all_listens(c, &n, d)) == NULL)
		return errors + 1;
	errors += check_listen_dups(listens, n, d);
	errors += check_stats_listen(c, listens, n, d);
	free(listens);
	return errors;
}
