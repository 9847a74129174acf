/*
 * routing/rt_conf_bgp.c - `bgp { }` and `ospf { }` inside routing { }
 * (rt_conf.h): the protocols edged has FRR's bgpd and ospfd run.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "rt_conf.h"
#include "util.h"

static const char *const onoff[] = { "off", "on", NULL };

/* ---- bgp { asn N; neighbor ADDR { } ... } ---- */

static int
set_asn(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_bgp *b = obj;
	uint64_t v;

	if (conf_get_uint(d, n, 1, 1, UINT32_MAX, &v) < 0)
		return -1;
	b->asn = (uint32_t)v;
	return 0;
}

static int
set_remote_as(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_neighbor *nb = obj;
	uint64_t v;

	if (strcmp(n->args[1], "internal") == 0)
		nb->remote = RT_REMOTE_INTERNAL;
	else if (strcmp(n->args[1], "external") == 0)
		nb->remote = RT_REMOTE_EXTERNAL;
	else if (conf_get_uint(d, n, 1, 1, UINT32_MAX, &v) < 0)
		return -1;
	else {
		nb->remote = RT_REMOTE_AS;
		nb->remote_as = (uint32_t)v;
	}
	return 0;
}

/* what FRR writes as one word in its configuration: printable, no
 * blank, and never read back as a comment */
static int
set_password(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_neighbor *nb = obj;
	const char *w = n->args[1];
	size_t len = strlen(w);
	bool ok = len > 0 && len <= RT_PASSWORD_MAX && w[0] != '!';

	for (size_t i = 0; ok && i < len; i++)
		ok = w[i] > 0x20 && w[i] < 0x7f;
	if (!ok) {
		/* the word itself is never repeated: it is a secret */
		conf_error(d, &n->argpos[1], "'password' expects 1 to %d "
		    "printable characters, without blanks, not starting "
		    "with '!'", RT_PASSWORD_MAX);
		return -1;
	}
	memcpy(nb->password, w, len + 1);
	return 0;
}

static int
set_timer(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_neighbor *nb = obj;
	bool hold = strcmp(n->args[0], "hold") == 0;
	uint64_t v;

	if (conf_get_uint(d, n, 1, hold ? 0 : 1, 65535, &v) < 0)
		return -1;
	if (hold && v > 0 && v < 3) {
		conf_error(d, &n->argpos[1], "'hold' is 0 (never) or 3 to "
		    "65535 seconds (RFC 4271)");
		return -1;
	}
	*(hold ? &nb->hold : &nb->keepalive) = (unsigned)v;
	if (hold && v == 0)
		nb->hold = RT_HOLD_NEVER;
	return 0;
}

static int
set_bfd(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_neighbor *nb = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, onoff, &v) < 0)
		return -1;
	nb->bfd = v == 1;
	return 0;
}

static const struct conf_directive neighbor_rows[] = {
	{ "remote-as", 1, 1, CONF_NO_BLOCK, set_remote_as,
	    "remote-as N|internal|external" },
	{ "password", 1, 1, CONF_NO_BLOCK, set_password, "password WORD" },
	{ "keepalive", 1, 1, CONF_NO_BLOCK, set_timer, "keepalive SECONDS" },
	{ "hold", 1, 1, CONF_NO_BLOCK, set_timer, "hold SECONDS" },
	{ "bfd", 1, 1, CONF_NO_BLOCK, set_bfd, "bfd on|off" },
};

void
rt_neighbor_timers(const struct rt_neighbor *nb, unsigned *keepalive,
    unsigned *hold)
{
	*keepalive = nb->keepalive != 0 ? nb->keepalive : 60;
	*hold = nb->hold == RT_HOLD_NEVER ? 0 : nb->hold != 0 ? nb->hold :
	    180;
}

static int
neighbor_check(struct conf_diag *d, const struct conf_node *n,
    const struct rt_neighbor *nb)
{
	static const char *const need[] = { "remote-as", NULL };
	unsigned k, h;

	if (conf_require(d, n, "neighbor", need) > 0)
		return -1;
	rt_neighbor_timers(nb, &k, &h);
	if (h != 0 && k >= h) {
		conf_error(d, &n->argpos[1], "neighbor %s: keepalive (%u s) "
		    "must be shorter than hold (%u s)", n->args[1], k, h);
		return -1;
	}
	return 0;
}

static int
set_neighbor(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_bgp *b = obj;
	struct rt_neighbor nb = { .pos = n->pos };
	struct sockaddr_in *sin = (struct sockaddr_in *)&nb.addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&nb.addr;

	if (inet_pton(AF_INET, n->args[1], &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, n->args[1], &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else {
		conf_error(d, &n->argpos[1], "'neighbor' expects the "
		    "neighbour's address, not '%s'", n->args[1]);
		return -1;
	}
	for (size_t i = 0; i < b->nnb; i++)
		if (addr_same(&b->nb[i].addr, &nb.addr)) {
			conf_error(d, &n->argpos[1], "neighbor %s is given "
			    "twice (first at line %u)", n->args[1],
			    b->nb[i].pos.line);
			return -1;
		}
	if (conf_apply(d, n, "neighbor", neighbor_rows,
	    ARRAY_LEN(neighbor_rows), &nb) > 0 || neighbor_check(d, n, &nb) < 0)
		return -1;
	if (conf_push(&b->nb, &b->nnb, sizeof(nb)) == NULL)
		return conf_oom(d, &n->pos);
	b->nb[b->nnb - 1] = nb;
	return 0;
}

static int
set_bgp_announce(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return rt_get_announce(d, n, &((struct rt_bgp *)obj)->announce_vs);
}

static int
set_bgp_redist(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_bgp *b = obj;

	return rt_get_redist(d, n, RT_SRC_BGP, &b->rd, &b->nrd);
}

static const struct conf_directive bgp_rows[] = {
	{ "asn", 1, 1, CONF_NO_BLOCK, set_asn, "asn N" },
	{ "neighbor", 1, 1, CONF_NEEDS_BLOCK, set_neighbor,
	    "neighbor ADDRESS { remote-as N }" },
	{ "announce", 2, 2, CONF_NO_BLOCK, set_bgp_announce,
	    "announce virtual-servers on|off" },
	{ "redistribute", 1, 3, CONF_NO_BLOCK, set_bgp_redist,
	    "redistribute SOURCE [prefix-list NAME]" },
};

int
rt_set_bgp(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const need[] = { "asn", NULL };
	struct rt_bgp *b = &((struct rt_conf *)obj)->bgp;

	if (b->present) {
		conf_error(d, &n->pos, "'bgp' is given twice (first at line "
		    "%u): one block holds it all", b->pos.line);
		return -1;
	}
	b->present = true;
	b->pos = n->pos;
	return conf_apply(d, n, "bgp", bgp_rows, ARRAY_LEN(bgp_rows), b) +
	    conf_require(d, n, "bgp", need) > 0 ? -1 : 0;
}

/* ---- ospf { area ID { interface IF { } } ... } ---- */

static int
set_if_uint(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_ospf_if *oi = obj;
	uint64_t v;

	if (strcmp(n->args[0], "cost") == 0) {
		if (conf_get_uint(d, n, 1, 1, 65535, &v) < 0)
			return -1;
		oi->cost = (unsigned)v;
	} else if (strcmp(n->args[0], "hello") == 0) {
		if (conf_get_uint(d, n, 1, 1, 65535, &v) < 0)
			return -1;
		oi->hello = (unsigned)v;
	} else {
		if (conf_get_uint(d, n, 1, 1, 65535, &v) < 0)
			return -1;
		oi->dead = (unsigned)v;
	}
	return 0;
}

static int
set_if_passive(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_ospf_if *oi = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, onoff, &v) < 0)
		return -1;
	oi->passive = v == 1;
	return 0;
}

static const struct conf_directive if_rows[] = {
	{ "cost", 1, 1, CONF_NO_BLOCK, set_if_uint, "cost N" },
	{ "hello", 1, 1, CONF_NO_BLOCK, set_if_uint, "hello SECONDS" },
	{ "dead", 1, 1, CONF_NO_BLOCK, set_if_uint, "dead SECONDS" },
	{ "passive", 1, 1, CONF_NO_BLOCK, set_if_passive, "passive on|off" },
};

/* The interface named anywhere in ospf { } already; NULL if not. */
static const struct rt_ospf_if *
ospf_if_find(const struct rt_ospf *o, const char *name)
{
	for (size_t a = 0; a < o->nareas; a++)
		for (size_t i = 0; i < o->areas[a].nifs; i++)
			if (strcmp(o->areas[a].ifs[i].name, name) == 0)
				return &o->areas[a].ifs[i];
	return NULL;
}

struct area_ctx {
	struct rt_ospf *o;
	struct rt_ospf_area *area;
};

static int
set_area_if(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct area_ctx *ac = obj;
	struct rt_ospf_if oi = { .pos = n->pos }, *p;
	const struct rt_ospf_if *dup;
	unsigned hello, dead;

	if (rt_get_ifname(d, n, 1, oi.name) < 0)
		return -1;
	if ((dup = ospf_if_find(ac->o, oi.name)) != NULL) {
		conf_error(d, &n->argpos[1], "interface %s is in ospf { } "
		    "twice (first at line %u): one area each", oi.name,
		    dup->pos.line);
		return -1;
	}
	if (conf_apply(d, n, "interface", if_rows, ARRAY_LEN(if_rows),
	    &oi) > 0)
		return -1;
	hello = oi.hello ? oi.hello : 10;
	dead = oi.dead ? oi.dead : 40;
	if (dead <= hello) {
		conf_error(d, &n->argpos[1], "interface %s: dead (%u s) must "
		    "be longer than hello (%u s)", oi.name, dead, hello);
		return -1;
	}
	if ((p = conf_push(&ac->area->ifs, &ac->area->nifs,
	    sizeof(oi))) == NULL)
		return conf_oom(d, &n->pos);
	*p = oi;
	return 0;
}

static const struct conf_directive area_rows[] = {
	{ "interface", 1, 1, CONF_NEEDS_BLOCK, set_area_if,
	    "interface NAME { }" },
};

/* "0.0.0.0" or a number */
static int
get_area_id(struct conf_diag *d, const struct conf_node *n, uint32_t *id)
{
	struct in_addr a;
	uint64_t v;

	if (inet_pton(AF_INET, n->args[1], &a) == 1) {
		*id = ntohl(a.s_addr);
		return 0;
	}
	if (conf_get_uint(d, n, 1, 0, UINT32_MAX, &v) < 0)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

static int
set_area(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_ospf *o = obj;
	struct rt_ospf_area area = { 0 };
	struct area_ctx ac = { o, &area };
	char id[16];

	if (get_area_id(d, n, &area.id) < 0)
		return -1;
	for (size_t i = 0; i < o->nareas; i++)
		if (o->areas[i].id == area.id) {
			rt_area_fmt(id, sizeof(id), area.id);
			conf_error(d, &n->argpos[1], "area %s is given twice",
			    id);
			return -1;
		}
	/* the area joins o first, so that interfaces are checked across
	 * every area; it is taken out again when it fails */
	if (conf_push(&o->areas, &o->nareas, sizeof(area)) == NULL)
		return conf_oom(d, &n->pos);
	ac.area = &o->areas[o->nareas - 1];
	*ac.area = area;
	if (conf_apply(d, n, "area", area_rows, ARRAY_LEN(area_rows),
	    &ac) > 0) {
		free(ac.area->ifs);
		o->nareas--;
		return -1;
	}
	return 0;
}

static int
set_ospf_announce(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	return rt_get_announce(d, n, &((struct rt_ospf *)obj)->announce_vs);
}

static int
set_ospf_redist(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_ospf *o = obj;

	return rt_get_redist(d, n, RT_SRC_OSPF, &o->rd, &o->nrd);
}

static const struct conf_directive ospf_rows[] = {
	{ "area", 1, 1, CONF_NEEDS_BLOCK, set_area, "area ID { }" },
	{ "announce", 2, 2, CONF_NO_BLOCK, set_ospf_announce,
	    "announce virtual-servers on|off" },
	{ "redistribute", 1, 3, CONF_NO_BLOCK, set_ospf_redist,
	    "redistribute SOURCE [prefix-list NAME]" },
};

int
rt_set_ospf(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_ospf *o = &((struct rt_conf *)obj)->ospf;

	if (o->present) {
		conf_error(d, &n->pos, "'ospf' is given twice (first at line "
		    "%u): one block holds it all", o->pos.line);
		return -1;
	}
	o->present = true;
	o->pos = n->pos;
	return conf_apply(d, n, "ospf", ospf_rows, ARRAY_LEN(ospf_rows),
	    o) > 0 ? -1 : 0;
}
