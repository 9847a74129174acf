/*
 * fw/fw_resolve.c - the firewall's configuration once every statement is
 * read (fw_conf_resolve): the names rules and NAT rules use (address
 * groups, services) resolved, with "did you mean"; what the whole file
 * must hold checked.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fw_conf.h"
#include "fw_conf_int.h"

static void
resolve_match(struct fw_conf *c, struct fw_match *m, struct conf_diag *d)
{
	for (size_t i = 0; i < m->names.n; i++) {
		long g = fw_group_find(c, m->names.w[i]);
		size_t *slot;

		if (g < 0) {
			const char *cands[64];
			size_t nc = 0;
			char hint[96];

			for (size_t k = 0; k < c->ngroups && nc < 64; k++)
				cands[nc++] = c->groups[k].name;
			conf_error(d, &m->names.pos[i], "unknown address-group "
			    "'%s'%s", m->names.w[i], conf_hint(m->names.w[i],
			    cands, nc, hint, sizeof(hint)));
			continue;
		}
		c->groups[g].used = true;
		if ((slot = conf_push(&m->groups, &m->ngroups,
		    sizeof(*slot))) == NULL) {
			conf_oom(d, &m->names.pos[i]);
			return;
		}
		*slot = (size_t)g;
	}
}

/* "tcp/22", "udp/53,5353", "icmp/echo-request", "icmp" */
static int
inline_service(struct conf_diag *d, const struct conf_pos *pos,
    const char *w, struct fw_svc_item **items, size_t *n)
{
	const char *slash = strchr(w, '/');
	size_t plen = slash ? (size_t)(slash - w) : strlen(w);
	char what[96];

	for (unsigned p = 0; fw_proto_names[p] != NULL; p++) {
		if (strlen(fw_proto_names[p]) != plen ||
		    strncmp(fw_proto_names[p], w, plen) != 0)
			continue;
		if (slash == NULL || strcmp(slash + 1, "any") == 0)
			return fw_proto_any(d, pos, (enum fw_proto)p, items, n);
		snprintf(what, sizeof(what), "service '%s'", w);
		return fw_svc_list(d, pos, what, (enum fw_proto)p,
		    slash + 1, items, n);
	}
	return 1;
}

/* The items of service s appended to items; pos for messages. */
static int
copy_items(struct conf_diag *d, const struct conf_pos *pos,
    const struct fw_service *s, struct fw_svc_item **items, size_t *nitems)
{
	struct fw_svc_item *slot;

	for (size_t j = 0; j < s->nitems; j++) {
		if ((slot = conf_push(items, nitems, sizeof(*slot))) == NULL)
			return conf_oom(d, pos);
		*slot = s->items[j];
	}
	return 0;
}

static void
resolve_services(struct fw_conf *c, const struct fw_words *names,
    struct fw_svc_item **items, size_t *nitems, struct conf_diag *d)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *w = names->w[i];
		const struct conf_pos *pos = &names->pos[i];
		size_t k;
		int r;

		if (strcmp(w, "any") == 0) {
			if (names->n > 1)
				conf_error(d, pos, "'any' stands alone in "
				    "'service'");
			continue;
		}
		for (k = 0; k < c->nservices; k++)
			if (strcmp(c->services[k].name, w) == 0)
				break;
		if (k < c->nservices) {
			if (copy_items(d, pos, &c->services[k], items,
			    nitems) < 0)
				return;
			continue;
		}
		r = inline_service(d, pos, w, items, nitems);
		if (r > 0) {
			const char *cands[64];
			size_t nc = 0;
			char hint[96];

			for (k = 0; k < c->nservices && nc < 64; k++)
				cands[nc++] = c->services[k].name;
			conf_error(d, pos, "unknown service '%s': a "
			    "service name, or tcp/PORTS, udp/PORTS, "
			    "icmp/TYPE, icmpv6/TYPE%s", w, conf_hint(w, cands,
			    nc, hint, sizeof(hint)));
		}
	}
}

/* The address families a match can hold: bit 0 IPv4, bit 1 IPv6
 * (both for any, self and dynamic groups). */
static unsigned
match_families(const struct fw_conf *c, const struct fw_match *m)
{
	unsigned f = 0;

	if (m->naddrs == 0 && m->ngroups == 0)
		return 3;
	for (size_t i = 0; i < m->naddrs; i++)
		f |= m->addrs[i].family == AF_INET ? 1 : 2;
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct fw_group *g = &c->groups[m->groups[i]];

		if (g->dynamic)
			return 3;
		for (size_t k = 0; k < g->nmembers; k++)
			f |= g->members[k].family == AF_INET ? 1 : 2;
	}
	return f;
}

static unsigned
svc_families(const struct fw_svc_item *svc, size_t n)
{
	unsigned f = 0;

	if (n == 0)
		return 3;
	for (size_t i = 0; i < n; i++)
		f |= svc[i].proto == FW_ICMP ? 1 : svc[i].proto == FW_ICMPV6 ?
		    2 : 3;
	return f;
}

/* The groups and services sel names; the address families it can match
 * (bit 0 IPv4, bit 1 IPv6), or -1 after errors. */
static int
resolve_sel(struct fw_conf *c, struct fw_sel *sel, struct conf_diag *d)
{
	unsigned before = d->nerrors;

	resolve_match(c, &sel->src, d);
	resolve_match(c, &sel->dst, d);
	resolve_services(c, &sel->svcnames, &sel->svc, &sel->nsvc, d);
	if (d->nerrors > before)
		return -1;
	return (int)(match_families(c, &sel->src) &
	    match_families(c, &sel->dst) & svc_families(sel->svc, sel->nsvc));
}

static void
resolve_rule(struct fw_conf *c, struct fw_rule *r, struct conf_diag *d)
{
	if (resolve_sel(c, &r->sel, d) == 0)
		conf_error(d, &r->sel.pos, "rule %s can never match: its "
		    "source, destination and service have no address family "
		    "(IPv4 or IPv6) in common", r->sel.name);
}

static void
resolve_nat(struct fw_conf *c, struct fw_nat_rule *r, struct conf_diag *d)
{
	int fam = resolve_sel(c, &r->sel, d);
	bool l4 = false;

	if (fam < 0)
		return;
	for (size_t i = 0; i < r->sel.nsvc; i++)
		l4 = l4 || r->sel.svc[i].proto == FW_TCP ||
		    r->sel.svc[i].proto == FW_UDP;
	if (!r->masquerade) {
		int want = r->to_lo.family == AF_INET ? 1 : 2;

		if ((fam & want) == 0) {
			conf_error(d, &r->to_pos, "%s %s: translate-to is an "
			    "%s address, but the rule matches only %s "
			    "traffic", r->kind == FW_SNAT ? "snat" : "dnat",
			    r->sel.name, want == 1 ? "IPv4" : "IPv6",
			    want == 1 ? "IPv6" : "IPv4");
			return;
		}
	} else if (fam == 0) {
		conf_error(d, &r->sel.pos, "snat %s can never match: its "
		    "source, destination and service have no address family "
		    "in common", r->sel.name);
		return;
	}
	if (r->to_port != 0 && !l4)
		conf_error(d, &r->to_pos, "dnat %s translates the port, so "
		    "its service must name tcp or udp ports", r->sel.name);
}

void
fw_conf_resolve(struct fw_conf *c, struct conf_diag *d)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (!c->rules[i].sel.bad)
			resolve_rule(c, &c->rules[i], d);
	for (size_t i = 0; i < c->nnats; i++)
		if (!c->nats[i].sel.bad)
			resolve_nat(c, &c->nats[i], d);
	fw_steer_resolve(c, d);
}

