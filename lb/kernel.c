/*
 * lb/kernel.c - the load balancer's side of the l4-kernel profile: what
 * a virtual server the kernel balances may and may not say, the
 * description the core hands the firewall (module.h's edged_kservice),
 * and the members' weights in force that follow monitors and edgectl.
 *
 * No process is on such a virtual server's path: the firewall's table
 * translates each new flow to a member (nftables DNAT through a map of
 * slots), conntrack keeps the flow on it, and the worker only probes the
 * pool's members.  So nothing that reads a connection applies (rules,
 * persistence, PROXY headers, TLS, limits, access logs), and the
 * algorithms are those the kernel can run: round-robin and ip-hash.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "kernel.h"
#include "lb.h"
#include "mem.h"
#include "member.h"
#include "tsock.h"

static void
refuse(struct conf_diag *d, const struct conf_pos *pos,
    const struct lb_vs_conf *vs, const char *what)
{
	conf_error(d, pos, "virtual-server %s: %s (its profile is l4-kernel: "
	    "the kernel balances it, and no process reads its connections)",
	    vs->name, what);
}

static unsigned
check_listens(const struct lb_vs_conf *vs, const struct lb_pool_conf *p,
    struct conf_diag *d)
{
	unsigned before = d->nerrors;

	for (size_t i = 0; i < vs->nlistens; i++) {
		const struct lb_listen_conf *l = &vs->listens[i];

		if (addr_wildcard(&l->addr))
			refuse(d, &l->pos, vs, "a wildcard listen would take "
			    "that port of every address the edge forwards "
			    "to: name the virtual server's address");
		if (l->accept_proxy)
			refuse(d, &l->pos, vs, "accept-proxy reads a header "
			    "from the connection");
		for (size_t k = 0; k < p->nmembers; k++)
			if (p->members[k].addr.ss_family != l->addr.ss_family) {
				refuse(d, &l->pos, vs, "the kernel translates "
				    "addresses within one family, and pool "
				    "members are of another");
				break;
			}
	}
	return d->nerrors - before;
}

static unsigned
check_pool(const struct lb_vs_conf *vs, const struct lb_pool_conf *p,
    struct conf_diag *d)
{
	const struct conf_pos *apos = p->algo_pos.file != NULL ?
	    &p->algo_pos : &p->pos;
	unsigned before = d->nerrors;

	if (p->algo != LB_ALGO_ROUND_ROBIN && p->algo != LB_ALGO_IP_HASH)
		conf_error(d, apos, "pool %s: algorithm %s is not one the "
		    "kernel runs for virtual-server %s (l4-kernel): "
		    "round-robin or ip-hash", p->name, lb_algo_name(p->algo),
		    vs->name);
	if (p->tls.enabled)
		refuse(d, &p->tls.pos, vs, "pool tls encrypts a connection");
	for (size_t k = 0; k < p->nmembers; k++) {
		const struct lb_member_conf *m = &p->members[k];

		if (m->max_connections > 0 || m->send_proxy > 0)
			refuse(d, &m->pos, vs, m->send_proxy > 0 ?
			    "send-proxy writes a header on the connection" :
			    "max-connections counts connections");
	}
	return d->nerrors - before;
}

unsigned
lb_kernel_check(const struct lb_conf *c, const struct lb_vs_conf *vs,
    struct conf_diag *d)
{
	const struct lb_pool_conf *p = &c->pools[vs->pool_idx];
	unsigned before = d->nerrors;

	check_listens(vs, p, d);
	check_pool(vs, p, d);
	if (vs->max_connections > 0 || vs->rate_limit > 0)
		refuse(d, &vs->pos, vs, "max-connections and rate-limit count "
		    "connections");
	if (vs->access_log[0] != '\0')
		refuse(d, &vs->access_log_pos, vs, "an access log needs the "
		    "connections");
	return d->nerrors - before;
}

unsigned
lb_transparent_check(const struct lb_conf *c, const struct lb_vs_conf *vs,
    struct conf_diag *d)
{
	const struct lb_pool_conf *p = &c->pools[vs->pool_idx];
	unsigned before = d->nerrors;

	if (vs->kernel || !p->transparent)
		return 0;
	for (size_t i = 0; i < vs->nlistens; i++)
		for (size_t k = 0; k < p->nmembers; k++)
			if (p->members[k].addr.ss_family !=
			    vs->listens[i].addr.ss_family) {
				conf_error(d, &vs->listens[i].pos,
				    "virtual-server %s: its pool %s is "
				    "transparent, and a connection leaves "
				    "from the client's address: its members "
				    "must be of this listen's family",
				    vs->name, p->name);
				return d->nerrors - before;
			}
	return d->nerrors - before;
}

/* The file's weights: a backup has none while a member that is not one
 * is in the pool. */
static void
file_members(const struct lb_pool_conf *p, struct edged_kmember *out)
{
	bool primaries = false;

	for (size_t k = 0; k < p->nmembers; k++)
		primaries = primaries || !p->members[k].backup;
	for (size_t k = 0; k < p->nmembers; k++) {
		const struct lb_member_conf *m = &p->members[k];

		snprintf(out[k].name, sizeof(out[k].name), "%s", m->name);
		out[k].addr = m->addr;
		out[k].weight = m->backup && primaries ? 0 : m->weight;
	}
}

static int
add_service(const struct lb_conf *c, const struct lb_vs_conf *vs,
    struct edged_endpoints *eps)
{
	const struct lb_pool_conf *p = &c->pools[vs->pool_idx];
	const struct lb_profile_conf *pr = &c->profiles[vs->profile_idx];
	struct edged_kservice ks = { .naddrs = vs->nlistens,
	    .proto = pr->kernel_udp ? IPPROTO_UDP : IPPROTO_TCP,
	    .pick = p->algo == LB_ALGO_IP_HASH ? EDGED_KPICK_SOURCE :
	    EDGED_KPICK_ROUND_ROBIN, .cut = pr->kernel_cut,
	    .nmembers = p->nmembers };
	int rc = -1;

	_Static_assert(EDGED_KNAME_MAX >= LB_NAME_MAX, "names fit");
	snprintf(ks.name, sizeof(ks.name), "%s", vs->name);
	ks.addrs = mem_array(vs->nlistens, sizeof(*ks.addrs));
	ks.members = mem_array(p->nmembers, sizeof(*ks.members));
	if (ks.addrs == NULL || ks.members == NULL)
		goto out;
	for (size_t i = 0; i < vs->nlistens; i++)
		ks.addrs[i] = vs->listens[i].addr;
	if (p->transparent)
		ks.snat = EDGED_KSNAT_NONE;
	else if (p->source.ss_family != AF_UNSPEC) {
		ks.snat = EDGED_KSNAT_ADDRESS;
		ks.snat_addr = p->source;
	} else
		ks.snat = EDGED_KSNAT_MASQUERADE;
	file_members(p, ks.members);
	rc = edged_kservice_add(eps, &ks);
out:
	edged_kservice_release(&ks);
	return rc;
}

int
lb_kernel_services(const struct lb_conf *c, struct edged_endpoints *eps)
{
	for (size_t i = 0; i < c->nvservers; i++)
		if (c->vservers[i].kernel &&
		    add_service(c, &c->vservers[i], eps) < 0)
			return -1;
	for (unsigned k = 0; k < LB_TSOCK_KINDS; k++)
		if (c->transparent_kinds & (1u << k))
			eps->transparent |= lb_tsock_kind_family(k) ==
			    AF_INET ? 1 : 2;
	return 0;
}

/* The kinds of pool p's members' sockets, connected from socktype's
 * virtual servers. */
static unsigned
pool_kinds(const struct lb_pool_conf *p, int socktype)
{
	unsigned kinds = 0;

	for (size_t k = 0; k < p->nmembers; k++)
		kinds |= 1u << lb_tsock_kind(p->members[k].addr.ss_family,
		    socktype);
	return kinds;
}

unsigned
lb_transparent_kinds(const struct lb_conf *c)
{
	unsigned kinds = 0;

	for (size_t i = 0; i < c->nvservers; i++) {
		const struct lb_vs_conf *vs = &c->vservers[i];
		const struct lb_profile_conf *pr;
		int type;
		bool any;

		/* a file with errors: a name that did not resolve */
		if (vs->kernel || vs->profile_idx >= c->nprofiles)
			continue;
		pr = &c->profiles[vs->profile_idx];
		type = pr->type == LB_PROFILE_UDP ? SOCK_DGRAM : SOCK_STREAM;
		/* a rule's or an sni route's pool may be any: all of them */
		any = vs->nrules > 0 || pr->nroutes > 0 ||
		    pr->default_pool[0] != '\0';
		for (size_t p = 0; p < c->npools; p++)
			if (c->pools[p].transparent &&
			    (any || vs->pool_idx == p))
				kinds |= pool_kinds(&c->pools[p], type);
	}
	return kinds;
}

size_t
lb_kernel_weights(const struct lb_pool_conf *p,
    const struct lb_kernel_now *now, struct edged_kweight *out)
{
	bool primaries = false;

	for (size_t k = 0; k < p->nmembers; k++) {
		const struct lb_kernel_now *m = &now[k];
		bool out_of_service = m->admin != LB_ADMIN_ENABLED || m->down;

		out[k] = (struct edged_kweight){ .member = p->members[k].name,
		    .weight = out_of_service ? 0 : m->weight,
		    .down = m->down || m->admin == LB_ADMIN_DISABLED };
		if (!p->members[k].backup && out[k].weight > 0)
			primaries = true;
	}
	/* backups take flows only while no other member can */
	for (size_t k = 0; k < p->nmembers; k++)
		if (p->members[k].backup && primaries)
			out[k].weight = 0;
	return p->nmembers;
}
