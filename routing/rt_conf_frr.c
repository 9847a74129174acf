/*
 * routing/rt_conf_frr.c - the FRR statements of `routing { }` (rt_conf.h):
 * router-id, static, prefix-list, bgp { } and ospf { }, each checked here
 * so that what edged renders for FRR is valid before FRR sees it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "rt_conf.h"
#include "util.h"

static const char *const onoff[] = { "off", "on", NULL };
static const char *const sources[] = { "connected", "static", "kernel",
    "bgp", "ospf", NULL };

const char *
rt_source_name(enum rt_source s)
{
	return sources[s];
}

/* ---- values ---- */

static unsigned
family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Whether the bits of a after plen are all 0. */
static bool
host_bits_clear(const unsigned char *a, unsigned bits, unsigned plen)
{
	for (unsigned b = plen; b < bits; b++)
		if (a[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}

/* ADDR of either family into a (16 bytes); its family, or 0 */
static int
parse_ip(const char *s, unsigned char *a)
{
	if (inet_pton(AF_INET, s, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a) == 1)
		return AF_INET6;
	return 0;
}

int
rt_get_prefix(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct rt_prefix *p)
{
	const char *w = n->args[i], *slash = strchr(w, '/');
	char ip[INET6_ADDRSTRLEN], *end;
	unsigned long len;

	memset(p, 0, sizeof(*p));
	if (slash == NULL || (size_t)(slash - w) >= sizeof(ip))
		goto bad;
	memcpy(ip, w, (size_t)(slash - w));
	ip[slash - w] = '\0';
	if ((p->family = parse_ip(ip, p->addr)) == 0 || slash[1] < '0' ||
	    slash[1] > '9')
		goto bad;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > family_bits(p->family))
		goto bad;
	p->plen = (unsigned)len;
	if (!host_bits_clear(p->addr, family_bits(p->family), p->plen)) {
		conf_error(d, &n->argpos[i], "'%s' for '%s' has bits set "
		    "after its /%u: write the network's address", w,
		    n->args[0], p->plen);
		return -1;
	}
	return 0;
bad:
	conf_error(d, &n->argpos[i], "'%s' for '%s' is not a prefix "
	    "(ADDRESS/LENGTH: 10.0.0.0/8, 2001:db8::/32)", w, n->args[0]);
	return -1;
}

void
rt_prefix_fmt(char *buf, size_t size, const struct rt_prefix *p)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, ip, sizeof(ip));
	snprintf(buf, size, "%s/%u", ip, p->plen);
}

void
rt_area_fmt(char *buf, size_t size, uint32_t id)
{
	snprintf(buf, size, "%u.%u.%u.%u", id >> 24, (id >> 16) & 0xff,
	    (id >> 8) & 0xff, id & 0xff);
}

void
rt_neighbor_fmt(char *buf, size_t size, const struct rt_neighbor *nb)
{
	const void *a = nb->addr.ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)&nb->addr)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)&nb->addr)->sin6_addr;

	if (inet_ntop(nb->addr.ss_family, a, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

int
rt_get_ifname(struct conf_diag *d, const struct conf_node *n, size_t i,
    char *out)
{
	const char *w = n->args[i];
	size_t len = strlen(w);
	bool ok = len > 0 && len < IF_NAMESIZE && strcmp(w, ".") != 0 &&
	    strcmp(w, "..") != 0;

	for (size_t k = 0; ok && k < len; k++)
		ok = (w[k] >= 'a' && w[k] <= 'z') || (w[k] >= 'A' &&
		    w[k] <= 'Z') || (w[k] >= '0' && w[k] <= '9') ||
		    strchr("_.-", w[k]) != NULL;
	if (!ok) {
		conf_error(d, &n->argpos[i], "'%s' for '%s' is not an "
		    "interface's name (1 to %d of A-Z a-z 0-9 _ . -)", w,
		    n->args[0], IF_NAMESIZE - 1);
		return -1;
	}
	memcpy(out, w, len + 1);
	return 0;
}

/* ---- router-id A.B.C.D ---- */

int
rt_set_router_id(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_conf *c = obj;

	if (inet_pton(AF_INET, n->args[1], &c->router_id) != 1) {
		conf_error(d, &n->argpos[1], "'router-id' expects an IPv4 "
		    "address (A.B.C.D), not '%s'", n->args[1]);
		return -1;
	}
	c->has_router_id = true;
	return 0;
}

/* ---- static PREFIX via ADDR [dev IF] | dev IF | blackhole ... ---- */

static int
static_option(struct conf_diag *d, const struct conf_node *n, size_t *i,
    struct rt_static *s)
{
	static const char *const opts[] = { "via", "dev", "blackhole",
	    "distance", NULL };
	unsigned o;
	uint64_t v;

	if (conf_get_option(d, n, *i, opts, &o) < 0)
		return -1;
	if (o == 2) {
		s->blackhole = true;
		return 0;
	}
	if (++*i >= n->nargs) {
		conf_error(d, &n->argpos[*i - 1], "'%s' expects a value",
		    opts[o]);
		return -1;
	}
	if (o == 1)
		return rt_get_ifname(d, n, *i, s->dev);
	if (o == 3) {
		if (conf_get_uint(d, n, *i, 1, 255, &v) < 0)
			return -1;
		s->distance = (unsigned)v;
		return 0;
	}
	if (parse_ip(n->args[*i], s->via) != s->dst.family) {
		conf_error(d, &n->argpos[*i], "'via' expects an IPv%d address "
		    "(the prefix's family), not '%s'", s->dst.family ==
		    AF_INET ? 4 : 6, n->args[*i]);
		return -1;
	}
	s->has_via = true;
	return 0;
}

int
rt_set_static(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_conf *c = obj;
	struct rt_static s = { .pos = n->pos };

	if (rt_get_prefix(d, n, 1, &s.dst) < 0)
		return -1;
	for (size_t i = 2; i < n->nargs; i++)
		if (static_option(d, n, &i, &s) < 0)
			return -1;
	if (s.blackhole == (s.has_via || s.dev[0] != '\0')) {
		conf_error(d, &n->argpos[1], "'static %s' needs where to: "
		    "via ADDRESS, dev INTERFACE (or both), or blackhole",
		    n->args[1]);
		return -1;
	}
	/* fe80::/10: the same address on every link */
	if (s.has_via && s.dst.family == AF_INET6 && s.via[0] == 0xfe &&
	    (s.via[1] & 0xc0) == 0x80 && s.dev[0] == '\0') {
		conf_error(d, &n->argpos[1], "'static %s': a link-local next "
		    "hop needs its interface (via ADDRESS dev INTERFACE)",
		    n->args[1]);
		return -1;
	}
	if (conf_push(&c->statics, &c->nstatics, sizeof(s)) == NULL)
		return conf_oom(d, &n->pos);
	c->statics[c->nstatics - 1] = s;
	return 0;
}

/* ---- prefix-list NAME { permit|deny PREFIX [ge N] [le N] } ---- */

static int
pl_bounds(struct conf_diag *d, const struct conf_node *n,
    struct rt_pl_entry *e)
{
	static const char *const opts[] = { "ge", "le", NULL };
	unsigned max = family_bits(e->p.family), o;
	uint64_t v;

	for (size_t i = 2; i < n->nargs; i += 2) {
		if (conf_get_option(d, n, i, opts, &o) < 0)
			return -1;
		if (i + 1 >= n->nargs) {
			conf_error(d, &n->argpos[i], "'%s' expects a "
			    "length", opts[o]);
			return -1;
		}
		if (conf_get_uint(d, n, i + 1, 0, max, &v) < 0)
			return -1;
		if (v <= e->p.plen) {
			conf_error(d, &n->argpos[i + 1], "'%s %u': a length "
			    "longer than the prefix's /%u, at most %u",
			    opts[o], (unsigned)v, e->p.plen, max);
			return -1;
		}
		*(o == 0 ? &e->ge : &e->le) = (unsigned)v;
	}
	if (e->ge != 0 && e->le != 0 && e->ge > e->le) {
		conf_error(d, &n->pos, "'ge %u' is more than 'le %u': no "
		    "prefix could match", e->ge, e->le);
		return -1;
	}
	return 0;
}

static int
set_pl_entry(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_prefix_list *pl = obj;
	struct rt_pl_entry e = { .permit = strcmp(n->args[0], "permit") == 0 };

	if (rt_get_prefix(d, n, 1, &e.p) < 0 || pl_bounds(d, n, &e) < 0)
		return -1;
	if (conf_push(&pl->v, &pl->n, sizeof(e)) == NULL)
		return conf_oom(d, &n->pos);
	pl->v[pl->n - 1] = e;
	return 0;
}

static const struct conf_directive pl_rows[] = {
	{ "permit", 1, 5, CONF_NO_BLOCK, set_pl_entry,
	    "permit PREFIX [ge N] [le N]" },
	{ "deny", 1, 5, CONF_NO_BLOCK, set_pl_entry,
	    "deny PREFIX [ge N] [le N]" },
};

int
rt_set_prefix_list(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct rt_conf *c = obj;
	struct rt_prefix_list pl = { .pos = n->pos };

	if (conf_get_name(d, n, 1, pl.name, sizeof(pl.name)) < 0)
		return -1;
	for (size_t i = 0; i < c->npls; i++)
		if (strcmp(c->pls[i].name, pl.name) == 0) {
			conf_error(d, &n->argpos[1], "prefix-list '%s' is "
			    "given twice (first at line %u)", pl.name,
			    c->pls[i].pos.line);
			return -1;
		}
	if (conf_apply(d, n, "prefix-list", pl_rows, ARRAY_LEN(pl_rows),
	    &pl) > 0) {
		free(pl.v);
		return -1;
	}
	if (conf_push(&c->pls, &c->npls, sizeof(pl)) == NULL) {
		free(pl.v);
		return conf_oom(d, &n->pos);
	}
	c->pls[c->npls - 1] = pl;
	return 0;
}

/* ---- in bgp { } and ospf { } ---- */

int
rt_get_redist(struct conf_diag *d, const struct conf_node *n,
    enum rt_source self, struct rt_redist **v, size_t *nv)
{
	static const char *const opts[] = { "prefix-list", NULL };
	struct rt_redist r = { .pos = n->pos };
	unsigned s, o;

	if (conf_get_keyword(d, n, 1, sources, &s) < 0)
		return -1;
	if (s == self) {
		conf_error(d, &n->argpos[1], "'redistribute %s' inside %s "
		    "{ }: a protocol does not redistribute its own routes",
		    sources[s], sources[s]);
		return -1;
	}
	r.src = (enum rt_source)s;
	if (n->nargs == 4 && (conf_get_option(d, n, 2, opts, &o) < 0 ||
	    conf_get_name(d, n, 3, r.plist, sizeof(r.plist)) < 0))
		return -1;
	if (n->nargs == 3) {
		conf_error(d, &n->pos, "'redistribute' takes SOURCE "
		    "[prefix-list NAME]");
		return -1;
	}
	for (size_t i = 0; i < *nv; i++)
		if ((*v)[i].src == r.src) {
			conf_error(d, &n->argpos[1], "'redistribute %s' is "
			    "given twice", sources[s]);
			return -1;
		}
	if (conf_push(v, nv, sizeof(r)) == NULL)
		return conf_oom(d, &n->pos);
	(*v)[*nv - 1] = r;
	return 0;
}

int
rt_get_announce(struct conf_diag *d, const struct conf_node *n, bool *on)
{
	static const char *const what[] = { "virtual-servers", NULL };
	unsigned w, v;

	if (conf_get_keyword(d, n, 1, what, &w) < 0 ||
	    conf_get_keyword(d, n, 2, onoff, &v) < 0)
		return -1;
	*on = v == 1;
	return 0;
}

