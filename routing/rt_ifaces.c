/*
 * routing/rt_ifaces.c - the interface blocks against the kernel's links
 * and addresses (rt_ifaces.h): read, compared, and the differences sent
 * through rtnetlink, VLANs first (they must exist before their
 * addresses), then MTU and state, then the addresses.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rt_ifaces.h"
#include "rt_nl.h"

/* What the kernel has, read once per step. */
struct kstate {
	struct rt_nl nl;
	struct rt_nl_link *links;
	size_t nlinks;
	struct rt_nl_addr *addrs;
	size_t naddrs;
};

static const struct rt_nl_link *
link_named(const struct kstate *k, const char *name)
{
	for (size_t i = 0; i < k->nlinks; i++)
		if (strcmp(k->links[i].name, name) == 0)
			return &k->links[i];
	return NULL;
}

static const struct rt_nl_link *
link_index(const struct kstate *k, int index)
{
	for (size_t i = 0; i < k->nlinks; i++)
		if (k->links[i].index == index)
			return &k->links[i];
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

static void
kstate_free(struct kstate *k)
{
	rt_nl_close(&k->nl);
	free(k->links);
	free(k->addrs);
}

static int
read_links(struct kstate *k, char *err, size_t errsize)
{
	free(k->links);
	return rt_nl_links(&k->nl, &k->links, &k->nlinks, err, errsize);
}

/* ---- the check ---- */

/* f against the links: 0, or -1 with err */
static int
check_one(const struct kstate *k, const struct rt_iface *f, char *err,
    size_t errsize)
{
	const struct rt_nl_link *l = link_named(k, f->name), *p;

	if (f->vlan == 0) {
		if (l != NULL)
			return 0;
		snprintf(err, errsize, "interface %s: the edge has no such "
		    "interface", f->name);
		return -1;
	}
	if ((p = link_named(k, f->parent)) == NULL) {
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
rt_ifaces_check(const struct rt_conf *c, char *err, size_t errsize)
{
	struct kstate k = { .nl.fd = -1 };
	int rc = 0;

	if (c->nifs == 0)
		return 0;
	if (rt_nl_open(&k.nl, err, errsize) < 0 ||
	    read_links(&k, err, errsize) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < c->nifs; i++)
		rc = check_one(&k, &c->ifs[i], err, errsize);
	kstate_free(&k);
	return rc;
}

/* ---- VLANs ---- */

/* edged's VLAN links the file no longer has: deleted */
static int
vlans_gone(struct kstate *k, const struct rt_conf *c, char *err,
    size_t errsize)
{
	for (size_t i = 0; i < k->nlinks; i++) {
		const struct rt_nl_link *l = &k->links[i];
		const struct rt_iface *f = iface_named(c, l->name);

		if (strcmp(l->kind, "vlan") != 0 || strncmp(l->alias,
		    RT_ALIAS_PREFIX, strlen(RT_ALIAS_PREFIX)) != 0 ||
		    (f != NULL && f->vlan != 0))
			continue;
		if (rt_nl_link_del(&k->nl, l->index, err, errsize) < 0)
			return -1;
		log_info("routing: interface %s: the VLAN edged made is "
		    "deleted (no longer in the file)", l->name);
	}
	return 0;
}

static int
vlans_made(struct kstate *k, const struct rt_conf *c, char *err,
    size_t errsize)
{
	char alias[128], why[256];

	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];
		const struct rt_nl_link *p = link_named(k, f->parent);

		if (f->vlan == 0 || link_named(k, f->name) != NULL)
			continue;
		if (p == NULL) {
			snprintf(err, errsize, "interface %s: its parent %s is "
			    "gone", f->name, f->parent);
			return -1;
		}
		snprintf(alias, sizeof(alias), RT_ALIAS_PREFIX "vlan %u of %s",
		    f->vlan, f->parent);
		if (rt_nl_vlan_add(&k->nl, f->name, p->index, f->vlan, alias,
		    why, sizeof(why)) < 0) {
			snprintf(err, errsize, "interface %s: cannot make VLAN "
			    "%u of %s: %s", f->name, f->vlan, f->parent, why);
			return -1;
		}
		log_info("routing: interface %s: VLAN %u of %s made", f->name,
		    f->vlan, f->parent);
	}
	return 0;
}

/* ---- MTU and state ---- */

static int
links_set(struct kstate *k, const struct rt_conf *c, char *err,
    size_t errsize)
{
	char why[256];

	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];
		const struct rt_nl_link *l = link_named(k, f->name);
		bool up = (l != NULL && (l->flags & IFF_UP));
		unsigned mtu;

		if (l == NULL) {
			snprintf(err, errsize, "interface %s: the edge has no "
			    "such interface", f->name);
			return -1;
		}
		mtu = f->mtu != 0 && f->mtu != l->mtu ? f->mtu : 0;
		if (mtu == 0 && up == !f->down)
			continue;
		if (rt_nl_set(&k->nl, l->index, mtu, !f->down, why,
		    sizeof(why)) < 0) {
			snprintf(err, errsize, "interface %s: cannot set%s%s: "
			    "%s", f->name, mtu ? " its MTU" : "", up == !f->down ?
			    "" : " its state", why);
			return -1;
		}
		if (mtu != 0)
			log_info("routing: interface %s: MTU %u (was %u)",
			    f->name, mtu, l->mtu);
		if (up != !f->down)
			log_info("routing: interface %s: %s", f->name,
			    f->down ? "down" : "up");
	}
	return 0;
}

/* ---- addresses ---- */

static bool
wanted(const struct rt_iface *f, const struct rt_prefix *p)
{
	for (size_t i = 0; f != NULL && i < f->naddrs; i++)
		if (f->addrs[i].family == p->family &&
		    f->addrs[i].plen == p->plen &&
		    memcmp(f->addrs[i].addr, p->addr, 16) == 0)
			return true;
	return false;
}

static void
prefix_text(char *buf, size_t size, const struct rt_prefix *p)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, ip, sizeof(ip));
	snprintf(buf, size, "%s/%u", ip, p->plen);
}

/* edged's addresses the file no longer has there: removed */
static int
addrs_gone(struct kstate *k, const struct rt_conf *c, char *err,
    size_t errsize)
{
	char a[64], why[256];

	for (size_t i = 0; i < k->naddrs; i++) {
		const struct rt_nl_addr *ad = &k->addrs[i];
		const struct rt_nl_link *l = link_index(k, ad->index);

		if (ad->proto != RT_IFA_PROTO || l == NULL ||
		    wanted(iface_named(c, l->name), &ad->p))
			continue;
		prefix_text(a, sizeof(a), &ad->p);
		if (rt_nl_addr(&k->nl, false, ad->index, &ad->p, why,
		    sizeof(why)) < 0) {
			snprintf(err, errsize, "interface %s: cannot remove "
			    "%s: %s", l->name, a, why);
			return -1;
		}
		log_info("routing: interface %s: %s removed (no longer in "
		    "the file)", l->name, a);
	}
	return 0;
}

static bool
present(const struct kstate *k, int index, const struct rt_prefix *p)
{
	for (size_t i = 0; i < k->naddrs; i++)
		if (k->addrs[i].index == index &&
		    k->addrs[i].p.family == p->family &&
		    k->addrs[i].p.plen == p->plen &&
		    memcmp(k->addrs[i].p.addr, p->addr, 16) == 0)
			return true;
	return false;
}

static int
addrs_added(struct kstate *k, const struct rt_conf *c, char *err,
    size_t errsize)
{
	char a[64], why[256];

	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];
		const struct rt_nl_link *l = link_named(k, f->name);

		for (size_t j = 0; l != NULL && j < f->naddrs; j++) {
			if (present(k, l->index, &f->addrs[j]))
				continue;
			prefix_text(a, sizeof(a), &f->addrs[j]);
			if (rt_nl_addr(&k->nl, true, l->index, &f->addrs[j],
			    why, sizeof(why)) < 0) {
				snprintf(err, errsize, "interface %s: cannot "
				    "add %s: %s", f->name, a, why);
				return -1;
			}
			log_info("routing: interface %s: %s added", f->name,
			    a);
		}
	}
	return 0;
}

int
rt_ifaces_apply(const struct rt_conf *c, char *err, size_t errsize)
{
	struct kstate k = { .nl.fd = -1 };
	int rc = -1;

	if (rt_nl_open(&k.nl, err, errsize) < 0)
		return -1;
	if (read_links(&k, err, errsize) == 0 &&
	    vlans_gone(&k, c, err, errsize) == 0 &&
	    vlans_made(&k, c, err, errsize) == 0 &&
	    read_links(&k, err, errsize) == 0 &&
	    links_set(&k, c, err, errsize) == 0 &&
	    rt_nl_addrs(&k.nl, &k.addrs, &k.naddrs, err, errsize) == 0 &&
	    addrs_gone(&k, c, err, errsize) == 0 &&
	    addrs_added(&k, c, err, errsize) == 0)
		rc = 0;
	kstate_free(&k);
	return rc;
}
