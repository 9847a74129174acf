/*
 * routing/rt_ifaces.c - the interface blocks against the kernel's links
 * and addresses (rt_ifaces.h): the check, the two plans, and the steps
 * carried out through rtnetlink.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "rt_ifaces.h"

static const struct rt_nl_link *
link_named(const struct rt_nl_link *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static const struct rt_nl_link *
link_index(const struct rt_nl_link *v, size_t n, int index)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].index == index)
			return &v[i];
	return NULL;
}

static const struct rt_iface *
iface_named(const struct rt_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nifs; i++)
		if (strcmp(c->ifs[i].name, name) == 0)
			return &c->ifs[i];
	return NULL;
}

static bool
same_prefix(const struct rt_prefix *a, const struct rt_prefix *b)
{
	return a->family == b->family && a->plen == b->plen &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static void
prefix_text(char *buf, size_t size, const struct rt_prefix *p)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, ip, sizeof(ip));
	snprintf(buf, size, "%s/%u", ip, p->plen);
}

/* a new step at the end of *v; NULL out of memory (err says so) */
static struct rt_if_step *
step(struct rt_if_step **v, size_t *n, enum rt_if_op op, char *err,
    size_t errsize)
{
	struct rt_if_step *s;

	if (mem_resize(v, *n + 1, sizeof(**v)) == -1) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	s = &(*v)[(*n)++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	return s;
}

/* ---- the check ---- */

static int
check_one(const struct rt_nl_link *links, size_t nlinks,
    const struct rt_iface *f, char *err, size_t errsize)
{
	const struct rt_nl_link *l = link_named(links, nlinks, f->name), *p;

	if (f->vlan == 0) {
		if (l != NULL)
			return 0;
		snprintf(err, errsize, "interface %s: the edge has no such "
		    "interface", f->name);
		return -1;
	}
	if ((p = link_named(links, nlinks, f->parent)) == NULL) {
		snprintf(err, errsize, "interface %s: its parent %s is not an "
		    "interface of the edge", f->name, f->parent);
		return -1;
	}
	if (l != NULL && (strcmp(l->kind, "vlan") != 0 || l->vlan !=
	    f->vlan || l->parent != p->index)) {
		snprintf(err, errsize, "interface %s exists, and is not VLAN "
		    "%u of %s", f->name, f->vlan, f->parent);
		return -1;
	}
	return 0;
}

int
rt_ifaces_check_links(const struct rt_conf *c,
    const struct rt_nl_link *links, size_t nlinks, char *err,
    size_t errsize)
{
	for (size_t i = 0; i < c->nifs; i++)
		if (check_one(links, nlinks, &c->ifs[i], err, errsize) < 0)
			return -1;
	return 0;
}

int
rt_ifaces_check(const struct rt_conf *c, char *err, size_t errsize)
{
	struct rt_nl nl = { .fd = -1 };
	struct rt_nl_link *links = NULL;
	size_t nlinks = 0;
	int rc = -1;

	if (c->nifs == 0)
		return 0;
	if (rt_nl_open(&nl, err, errsize) == 0 &&
	    rt_nl_links(&nl, &links, &nlinks, err, errsize) == 0)
		rc = rt_ifaces_check_links(c, links, nlinks, err, errsize);
	rt_nl_close(&nl);
	free(links);
	return rc;
}

/* ---- the plans ---- */

int
rt_ifaces_plan_links(const struct rt_conf *c,
    const struct rt_nl_link *links, size_t nlinks, struct rt_if_step **v,
    size_t *n, char *err, size_t errsize)
{
	struct rt_if_step *s;

	for (size_t i = 0; i < nlinks; i++) {
		const struct rt_iface *f = iface_named(c, links[i].name);

		if (strcmp(links[i].kind, "vlan") != 0 ||
		    strncmp(links[i].alias, RT_ALIAS_PREFIX,
		    strlen(RT_ALIAS_PREFIX)) != 0 || (f != NULL && f->vlan))
			continue;
		if ((s = step(v, n, RT_IF_VLAN_DEL, err, errsize)) == NULL)
			return -1;
		s->index = links[i].index;
		memcpy(s->name, links[i].name, sizeof(s->name));
	}
	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];
		const struct rt_nl_link *p;

		if (f->vlan == 0 || link_named(links, nlinks, f->name) != NULL)
			continue;
		if ((p = link_named(links, nlinks, f->parent)) == NULL) {
			snprintf(err, errsize, "interface %s: its parent %s is "
			    "gone", f->name, f->parent);
			return -1;
		}
		if ((s = step(v, n, RT_IF_VLAN_ADD, err, errsize)) == NULL)
			return -1;
		memcpy(s->name, f->name, sizeof(s->name));
		memcpy(s->parent, f->parent, sizeof(s->parent));
		s->parent_index = p->index;
		s->vlan = f->vlan;
	}
	return 0;
}

/* MTU and state of each interface of c, where they differ */
static int
plan_set(const struct rt_conf *c, const struct rt_nl_link *links,
    size_t nlinks, struct rt_if_step **v, size_t *n, char *err,
    size_t errsize)
{
	struct rt_if_step *s;

	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];
		const struct rt_nl_link *l = link_named(links, nlinks,
		    f->name);
		bool up = l != NULL && (l->flags & IFF_UP);

		if (l == NULL) {
			snprintf(err, errsize, "interface %s: the edge has no "
			    "such interface", f->name);
			return -1;
		}
		if ((f->mtu == 0 || f->mtu == l->mtu) && up == !f->down)
			continue;
		if ((s = step(v, n, RT_IF_SET, err, errsize)) == NULL)
			return -1;
		s->index = l->index;
		memcpy(s->name, f->name, sizeof(s->name));
		s->mtu = f->mtu != l->mtu ? f->mtu : 0;
		s->was_mtu = l->mtu;
		s->up = !f->down;
		s->was_up = up;
	}
	return 0;
}

static bool
wanted(const struct rt_iface *f, const struct rt_prefix *p)
{
	for (size_t i = 0; f != NULL && i < f->naddrs; i++)
		if (same_prefix(&f->addrs[i], p))
			return true;
	return false;
}

static bool
present(const struct rt_nl_addr *addrs, size_t naddrs, int index,
    const struct rt_prefix *p)
{
	for (size_t i = 0; i < naddrs; i++)
		if (addrs[i].index == index && same_prefix(&addrs[i].p, p))
			return true;
	return false;
}

static struct rt_if_step *
addr_step(struct rt_if_step **v, size_t *n, enum rt_if_op op,
    const struct rt_nl_link *l, const struct rt_prefix *p, char *err,
    size_t errsize)
{
	struct rt_if_step *s = step(v, n, op, err, errsize);

	if (s != NULL) {
		s->index = l->index;
		memcpy(s->name, l->name, sizeof(s->name));
		s->p = *p;
	}
	return s;
}

int
rt_ifaces_plan_addrs(const struct rt_conf *c,
    const struct rt_nl_link *links, size_t nlinks,
    const struct rt_nl_addr *addrs, size_t naddrs, struct rt_if_step **v,
    size_t *n, char *err, size_t errsize)
{
	if (plan_set(c, links, nlinks, v, n, err, errsize) < 0)
		return -1;
	for (size_t i = 0; i < naddrs; i++) {
		const struct rt_nl_link *l = link_index(links, nlinks,
		    addrs[i].index);

		if (addrs[i].proto != RT_IFA_PROTO || l == NULL ||
		    wanted(iface_named(c, l->name), &addrs[i].p))
			continue;
		if (addr_step(v, n, RT_IF_ADDR_DEL, l, &addrs[i].p, err,
		    errsize) == NULL)
			return -1;
	}
	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];
		const struct rt_nl_link *l = link_named(links, nlinks,
		    f->name);

		for (size_t j = 0; l != NULL && j < f->naddrs; j++)
			if (!present(addrs, naddrs, l->index, &f->addrs[j]) &&
			    addr_step(v, n, RT_IF_ADDR_ADD, l, &f->addrs[j],
			    err, errsize) == NULL)
				return -1;
	}
	return 0;
}

/* ---- carried out ---- */

/* One step through rtnetlink, then its line in the log. */
static int
carry_out(struct rt_nl *nl, const struct rt_if_step *s, char *err,
    size_t errsize)
{
	char why[256], alias[128], a[64];
	int rc = -1;

	prefix_text(a, sizeof(a), &s->p);
	switch (s->op) {
	case RT_IF_VLAN_DEL:
		if ((rc = rt_nl_link_del(nl, s->index, why, sizeof(why))) == 0)
			log_info("routing: interface %s: the VLAN edged made "
			    "is deleted (no longer in the file)", s->name);
		break;
	case RT_IF_VLAN_ADD:
		snprintf(alias, sizeof(alias), RT_ALIAS_PREFIX "vlan %u of %s",
		    s->vlan, s->parent);
		if ((rc = rt_nl_vlan_add(nl, s->name, s->parent_index, s->vlan,
		    alias, why, sizeof(why))) == 0)
			log_info("routing: interface %s: VLAN %u of %s made",
			    s->name, s->vlan, s->parent);
		else
			snprintf(err, errsize, "interface %s: cannot make VLAN "
			    "%u of %s: %s", s->name, s->vlan, s->parent, why);
		return rc;
	case RT_IF_SET:
		if ((rc = rt_nl_set(nl, s->index, s->mtu, s->up, why,
		    sizeof(why))) == 0)
			log_info("routing: interface %s: MTU %u (was %u), %s "
			    "(was %s)", s->name, s->mtu ? s->mtu : s->was_mtu,
			    s->was_mtu, s->up ? "up" : "down",
			    s->was_up ? "up" : "down");
		break;
	case RT_IF_ADDR_DEL:
	case RT_IF_ADDR_ADD:
		if ((rc = rt_nl_addr(nl, s->op == RT_IF_ADDR_ADD, s->index,
		    &s->p, why, sizeof(why))) == 0)
			log_info("routing: interface %s: %s %s", s->name, a,
			    s->op == RT_IF_ADDR_ADD ? "added" : "removed (no "
			    "longer in the file)");
		break;
	}
	if (rc < 0)
		snprintf(err, errsize, "interface %s: %s: %s", s->name,
		    s->op == RT_IF_SET ? "cannot set its MTU or state" :
		    s->op == RT_IF_ADDR_ADD ? "cannot add an address" :
		    s->op == RT_IF_ADDR_DEL ? "cannot remove an address" :
		    "cannot delete it", why);
	return rc;
}

/* One plan: links (and addresses, for the second) read, planned, done. */
static int
phase(struct rt_nl *nl, const struct rt_conf *c, bool addrs_too,
    char *err, size_t errsize)
{
	struct rt_nl_link *links = NULL;
	struct rt_nl_addr *addrs = NULL;
	struct rt_if_step *steps = NULL;
	size_t nlinks = 0, naddrs = 0, nsteps = 0;
	int rc = -1;

	if (rt_nl_links(nl, &links, &nlinks, err, errsize) == 0 &&
	    (!addrs_too || rt_nl_addrs(nl, &addrs, &naddrs, err,
	    errsize) == 0) && (addrs_too ? rt_ifaces_plan_addrs(c, links,
	    nlinks, addrs, naddrs, &steps, &nsteps, err, errsize) :
	    rt_ifaces_plan_links(c, links, nlinks, &steps, &nsteps, err,
	    errsize)) == 0) {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < nsteps; i++)
			rc = carry_out(nl, &steps[i], err, errsize);
	}
	free(links);
	free(addrs);
	free(steps);
	return rc;
}

int
rt_ifaces_apply(const struct rt_conf *c, char *err, size_t errsize)
{
	struct rt_nl nl = { .fd = -1 };
	int rc = -1;

	if (rt_nl_open(&nl, err, errsize) == 0 &&
	    phase(&nl, c, false, err, errsize) == 0 &&
	    phase(&nl, c, true, err, errsize) == 0)
		rc = 0;
	rt_nl_close(&nl);
	return rc;
}
