/*
 * fw/fw_nft.c - compiles the firewall and NAT configuration into nft's
 * language (see fw_nft.h for the table's layout).
 *
 * A rule becomes one nft rule per combination of address family, source
 * alternative (inline addresses, each group), destination alternative
 * and protocol class (tcp ports, udp ports, icmp types, icmpv6 types);
 * usually one or two.  They share the rule's named counter, and since
 * the first match ends a packet's way through the chain, each packet is
 * counted once.
 *
 * Order in the filter chains, as documented in the README:
 *   1. established and related packets accepted, IPv6 neighbour
 *      discovery accepted, invalid packets dropped, loopback accepted;
 *   2. the rules, in file order, first match wins;
 *   3. (input only) edged's own listeners accepted: the virtual
 *      servers' and the stats listener's;
 *   4. the default policy.
 * Rules with `destination self` go to the input chain only; the others
 * are written once, in chains both filter chains jump to (write_shared).
 * Destinations match the packet as it arrived, before DNAT (`ct
 * original`), unless the rule says match-translated.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "fw_klb.h"
#include "fw_nft.h"
#include "fw_route.h"
#include "text.h"

#define F4	1u
#define F6	2u

static const char *const action_nft[] = {
	[FW_ACCEPT] = "accept", [FW_DROP] = "drop", [FW_REJECT] = "reject",
};

static unsigned
fam_bit(int family)
{
	return family == AF_INET ? F4 : F6;
}

static void
set_name(char *buf, size_t size, const struct fw_group *g, unsigned f)
{
	/* f_ for a fed group, d_ for another dynamic one: a group that
	 * turns from one to the other changes the table, which is then
	 * made again with the right members */
	char kind = g->feed != NULL ? 'f' : g->dynamic ? 'd' : 'g';

	snprintf(buf, size, "%c_%s_%c", kind, g->name, f == F4 ? '4' : '6');
}

void
fw_nft_dyn_set(char *buf, size_t size, const struct fw_group *g, int family)
{
	set_name(buf, size, g, fam_bit(family));
}

/* a fed group's hash set of single addresses: fh_NAME_4 */
static void
host_set_name(char *buf, size_t size, const struct fw_group *g, unsigned f)
{
	snprintf(buf, size, "fh_%s_%c", g->name, f == F4 ? '4' : '6');
}

void
fw_nft_host_set(char *buf, size_t size, const struct fw_group *g,
    int family)
{
	host_set_name(buf, size, g, fam_bit(family));
}

/* Static groups have a set per family they hold; dynamic ones both. */
static bool
group_has(const struct fw_group *g, unsigned f)
{
	if (g->dynamic)
		return true;
	for (size_t i = 0; i < g->nmembers; i++)
		if (fam_bit(g->members[i].family) == f)
			return true;
	return false;
}

/* A static group's set for family f: its members merged (fw_interval.c),
 * so that nft has no overlap to resolve and no auto-merge to do. */
static void
write_elements(FILE *out, const struct fw_group *g, unsigned f)
{
	int family = f == F4 ? AF_INET : AF_INET6;
	struct fw_range *r;
	ssize_t n = fw_ranges_merge(g->members, g->nmembers, family, &r);
	char a[100];

	if (n < 0) {
		perror("edged: out of memory");
		abort();
	}
	fprintf(out, "\t\tflags interval\n\t\telements = {");
	for (ssize_t k = 0; k < n; k++) {
		fw_range_fmt(a, sizeof(a), &r[k], family);
		fprintf(out, "%s%s%s", k ? "," : "", k % 8 ? " " : "\n\t\t\t",
		    a);
	}
	fprintf(out, "\n\t\t}\n");
	free(r);
}

static void
write_sets(FILE *out, const struct fw_conf *c)
{
	char name[96];

	for (size_t i = 0; i < c->ngroups; i++) {
		const struct fw_group *g = &c->groups[i];

		for (unsigned f = F4; f <= F6; f <<= 1) {
			if (!group_has(g, f))
				continue;
			set_name(name, sizeof(name), g, f);
			fprintf(out, "\tset %s {\n\t\ttype %s\n", name,
			    f == F4 ? "ipv4_addr" : "ipv6_addr");
			if (!g->dynamic)
				write_elements(out, g, f);
			else	/* its members come with the batch */
				fprintf(out, "\t\tflags interval\n");
			fprintf(out, "\t}\n");
			if (g->feed == NULL)
				continue;
			/* a fed group's addresses, the bulk of a feed,
			 * in a hash set: see fw_dyn.c */
			host_set_name(name, sizeof(name), g, f);
			fprintf(out, "\tset %s {\n\t\ttype %s\n\t}\n", name,
			    f == F4 ? "ipv4_addr" : "ipv6_addr");
		}
	}
}

/* ---- matches ---- */

/* the inline addresses, then each group (a fed group's two sets) */
#define ALT_MAX	(2 * FW_MATCH_GROUPS_MAX + 1)	/* fed: two sets */

struct alts {
	char *s[ALT_MAX];
	size_t n;
};

static void
alts_free(struct alts *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->s[i]);
	a->n = 0;
}

static void
alts_add(struct alts *a, char *s)
{
	if (s == NULL) {
		perror("edged: out of memory");
		abort();
	}
	if (a->n < ALT_MAX)
		a->s[a->n++] = s;
	else
		free(s);
}

/* The alternatives for one side of a rule in family f ("" when it
 * matches anything); none when it holds nothing of family f.  what is
 * "ip saddr", "ct original ip daddr"...; f 0 = no family (any). */
static void
match_alts(const struct fw_conf *c, const struct fw_match *m, unsigned f,
    bool dst, bool original, struct alts *a)
{
	char *buf, name[96], addr[64];
	size_t n = 0;
	struct text t;
	FILE *s;
	const char *l3 = f == F4 ? "ip" : "ip6";
	char what[48];

	a->n = 0;
	if (m->self || (m->naddrs == 0 && m->ngroups == 0)) {
		alts_add(a, strdup(""));
		return;
	}
	snprintf(what, sizeof(what), "%s%s %s", original ? "ct original " :
	    "", l3, dst ? "daddr" : "saddr");
	if ((s = text_open(&t)) == NULL)
		alts_add(a, NULL);
	for (size_t i = 0; i < m->naddrs; i++) {
		if (fam_bit(m->addrs[i].family) != f)
			continue;
		fw_prefix_fmt(addr, sizeof(addr), &m->addrs[i]);
		fprintf(s, "%s%s", n ? ", " : "", addr);
		n++;
	}
	if ((buf = text_close(&t, NULL)) == NULL)
		alts_add(a, NULL);
	if (n == 1) {
		char *one = NULL;

		if (asprintf(&one, "%s %s", what, buf) < 0)
			one = NULL;
		alts_add(a, one);
	} else if (n > 1) {
		char *set = NULL;

		if (asprintf(&set, "%s { %s }", what, buf) < 0)
			set = NULL;
		alts_add(a, set);
	}
	free(buf);
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct fw_group *g = &c->groups[m->groups[i]];
		char *ref = NULL;

		if (!group_has(g, f))
			continue;
		set_name(name, sizeof(name), g, f);
		if (asprintf(&ref, "%s @%s", what, name) < 0)
			ref = NULL;
		alts_add(a, ref);
		if (g->feed == NULL)
			continue;
		host_set_name(name, sizeof(name), g, f);
		if (asprintf(&ref, "%s @%s", what, name) < 0)
			ref = NULL;
		alts_add(a, ref);
	}
}

static bool
has_addrs(const struct fw_match *m)
{
	return !m->self && (m->naddrs > 0 || m->ngroups > 0);
}

/* Protocol classes of a service list. */
enum svc_class { SC_TCP, SC_UDP, SC_ICMP, SC_ICMPV6, SC_N };

static const char *const class_proto[] = { "tcp", "udp", "icmp",
    "ipv6-icmp" };

/* The ports or types of class k in svc, as a list into s; their
 * number.  *any: one of them is the whole protocol. */
static size_t
class_values(FILE *s, const struct fw_svc_item *svc, size_t n,
    enum svc_class k, bool *any)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fw_svc_item *it = &svc[i];

		if ((enum svc_class)it->proto != k)
			continue;
		if (it->lo == 0 || it->lo == FW_ICMP_ANY) {
			*any = true;
			continue;
		}
		if (k == SC_TCP || k == SC_UDP) {
			if (it->lo == it->hi)
				fprintf(s, "%s%u", count ? ", " : "", it->lo);
			else
				fprintf(s, "%s%u-%u", count ? ", " : "", it->lo,
				    it->hi);
		} else {
			fprintf(s, "%s%s", count ? ", " : "",
			    fw_icmp_type_name(it->proto, it->lo));
		}
		count++;
	}
	return count;
}

/* The match for class k of svc, or NULL when svc has none of it.
 * original: ports as they were before DNAT. */
static char *
class_match(const struct fw_svc_item *svc, size_t n, enum svc_class k,
    bool original)
{
	char *buf, *res = NULL;
	size_t count;
	bool any = false;
	struct text t;
	FILE *s = text_open(&t);

	if (s == NULL)
		return NULL;
	count = class_values(s, svc, n, k, &any);
	if ((buf = text_close(&t, NULL)) == NULL)
		return NULL;
	if (any || count == 0) {
		bool present = any;

		for (size_t i = 0; i < n && !present; i++)
			present = (enum svc_class)svc[i].proto == k;
		if (present && asprintf(&res, "meta l4proto %s",
		    class_proto[k]) < 0)
			res = NULL;
	} else if (k == SC_TCP || k == SC_UDP) {
		/* nft takes `ct original proto-dst` with one port or a set,
		 * not with a bare range */
		bool braces = count > 1 || (original && strchr(buf, '-'));
		char *vals = NULL;

		if (asprintf(&vals, "%s%s%s", braces ? "{ " : "", buf,
		    braces ? " }" : "") >= 0) {
			if (original && asprintf(&res, "meta l4proto %s ct "
			    "original proto-dst %s", class_proto[k], vals) < 0)
				res = NULL;
			else if (!original && asprintf(&res, "%s dport %s",
			    class_proto[k], vals) < 0)
				res = NULL;
			free(vals);
		}
	} else {
		if (asprintf(&res, "%s type %s%s%s", k == SC_ICMP ? "icmp" :
		    "icmpv6", count > 1 ? "{ " : "", buf, count > 1 ? " }" :
		    "") < 0)
			res = NULL;
	}
	free(buf);
	return res;
}

/* the service classes of a rule: "" alone when it has no service */
static void
svc_alts(const struct fw_svc_item *svc, size_t n, unsigned f, bool original,
    struct alts *a, enum svc_class *cls)
{
	a->n = 0;
	if (n == 0) {
		alts_add(a, strdup(""));
		cls[0] = SC_N;
		return;
	}
	for (unsigned k = 0; k < SC_N; k++) {
		char *m;

		if ((k == SC_ICMP && f == F6) || (k == SC_ICMPV6 && f == F4))
			continue;
		if ((m = class_match(svc, n, (enum svc_class)k, original)) ==
		    NULL)
			continue;
		cls[a->n] = (enum svc_class)k;
		alts_add(a, m);
	}
}

/* Writes "\t\tA B C " with the non-empty parts, then the rest. */
static void
rule_line(FILE *out, const char *const *parts, size_t n, const char *tail)
{
	fputs("\t\t", out);
	for (size_t i = 0; i < n; i++)
		if (parts[i] != NULL && parts[i][0] != '\0')
			fprintf(out, "%s ", parts[i]);
	fprintf(out, "%s\n", tail);
}

static void
write_action(FILE *out, const char *const *parts, size_t n,
    enum fw_action act, enum svc_class cls, const char *counter,
    const char *comment)
{
	char tail[256];

	if (act != FW_REJECT) {
		snprintf(tail, sizeof(tail), "counter name \"%s\" %s%s",
		    counter, action_nft[act], comment);
		rule_line(out, parts, n, tail);
		return;
	}
	/* TCP gets a reset, the rest ICMP "administratively prohibited" */
	if (cls == SC_TCP || cls == SC_N) {
		const char *p2[8];
		size_t k = 0;

		if (cls == SC_N)
			p2[k++] = "meta l4proto tcp";
		for (size_t i = 0; i < n && k < 8; i++)
			p2[k++] = parts[i];
		snprintf(tail, sizeof(tail), "counter name \"%s\" reject with "
		    "tcp reset%s", counter, comment);
		rule_line(out, p2, k, tail);
		if (cls == SC_TCP)
			return;
	}
	snprintf(tail, sizeof(tail), "counter name \"%s\" reject with icmpx "
	    "admin-prohibited%s", counter, comment);
	rule_line(out, parts, n, tail);
}

struct expand {
	const struct fw_sel *sel;	/* what the rule matches */
	const char *oif;		/* NAT: out-interface */
	bool original;			/* destination before DNAT */
	unsigned only;			/* families allowed (NAT: translate) */
};

/* Calls emit for each nft rule a configured rule expands to: parts are
 * the matches (interface, family, source, destination, service). */
typedef void emit_fn(FILE *out, const char *const *parts, size_t n,
    enum svc_class cls, void *arg);

static void
expand(FILE *out, const struct fw_conf *c, const struct expand *e,
    emit_fn *emit, void *arg)
{
	const struct fw_sel *sel = e->sel;
	bool by_family = has_addrs(&sel->src) || has_addrs(&sel->dst) ||
	    e->only != (F4 | F6);
	char iif[40] = "", oif[40] = "";

	if (sel->in_if[0] != '\0')
		snprintf(iif, sizeof(iif), "iifname \"%s\"", sel->in_if);
	if (e->oif != NULL && e->oif[0] != '\0')
		snprintf(oif, sizeof(oif), "oifname \"%s\"", e->oif);
	for (unsigned f = by_family ? F4 : 0; f <= (by_family ? F6 : 0);
	    f = f ? f << 1 : 1) {
		struct alts sa, da, va;
		enum svc_class cls[SC_N + 1];
		const char *fam = "";

		if (by_family && (e->only & f) == 0)
			continue;
		/* a family match where no address says it */
		if (by_family && !has_addrs(&sel->src) &&
		    !has_addrs(&sel->dst))
			fam = f == F4 ? "meta nfproto ipv4" :
			    "meta nfproto ipv6";
		match_alts(c, &sel->src, f, false, false, &sa);
		match_alts(c, &sel->dst, f, true, e->original, &da);
		svc_alts(sel->svc, sel->nsvc, f, e->original, &va, cls);
		for (size_t i = 0; i < sa.n; i++)
			for (size_t j = 0; j < da.n; j++)
				for (size_t k = 0; k < va.n; k++) {
					const char *parts[] = { iif, oif, fam,
					    sa.s[i], da.s[j], va.s[k] };

					emit(out, parts, 6, cls[k], arg);
				}
		alts_free(&sa);
		alts_free(&da);
		alts_free(&va);
		if (!by_family)
			break;
	}
}

/* ---- filter ---- */

struct rule_arg {
	const struct fw_rule *r;
	char counter[80];
	char comment[96];
	char prefix[96];
};

static void
emit_rule(FILE *out, const char *const *parts, size_t n, enum svc_class cls,
    void *arg)
{
	struct rule_arg *ra = arg;

	if (ra->r->log) {
		char tail[160];

		snprintf(tail, sizeof(tail), "limit rate 10/second burst 20 "
		    "packets log prefix \"%s\" level info", ra->prefix);
		rule_line(out, parts, n, tail);
	}
	write_action(out, parts, n, ra->r->action, cls, ra->counter,
	    ra->comment);
}

static bool
any_dnat(const struct fw_conf *c)
{
	for (size_t i = 0; i < c->nnats; i++)
		if (c->nats[i].kind == FW_DNAT)
			return true;
	return false;
}

static void
write_rule(FILE *out, const struct fw_conf *c, const struct fw_rule *r)
{
	struct rule_arg ra = { .r = r };
	struct expand e = { .sel = &r->sel,
	    .original = any_dnat(c) && !r->match_translated,
	    .only = F4 | F6 };

	snprintf(ra.counter, sizeof(ra.counter), "r_%s", r->sel.name);
	snprintf(ra.comment, sizeof(ra.comment), " comment \"rule %s\"",
	    r->sel.name);
	snprintf(ra.prefix, sizeof(ra.prefix), "edged %s %s: ", r->sel.name,
	    action_nft[r->action]);
	expand(out, c, &e, emit_rule, &ra);
}

/*
 * The rules that apply to both directions are written once, not once
 * per hook chain: each run of them between `destination self` rules is
 * a regular chain, rules_K, that filter_input and filter_forward jump
 * to at its place in the order (a packet no rule of it matches comes
 * back and goes on).  That halves the rules the kernel loads.
 */
static void
write_shared(FILE *out, const struct fw_conf *c)
{
	size_t run = 0;

	for (size_t i = 0; i < c->nrules; i++) {
		if (c->rules[i].sel.dst.self)
			continue;
		if (i == 0 || c->rules[i - 1].sel.dst.self)
			fprintf(out, "\tchain rules_%zu {\n", ++run);
		write_rule(out, c, &c->rules[i]);
		if (i + 1 == c->nrules || c->rules[i + 1].sel.dst.self)
			fprintf(out, "\t}\n");
	}
}

/* The rules in order: the self ones themselves (input only), a jump
 * for each run of the others. */
static void
write_rules(FILE *out, const struct fw_conf *c, bool input)
{
	size_t run = 0;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct fw_rule *r = &c->rules[i];

		if (r->sel.dst.self) {
			if (input)
				write_rule(out, c, r);
			continue;
		}
		if (i == 0 || c->rules[i - 1].sel.dst.self)
			fprintf(out, "\t\tjump rules_%zu\n", ++run);
	}
}

/* One endpoint of edged's let in: its protocol to its address and port
 * (any address of its family when it listens on all of them). */
static void
write_endpoint(FILE *out, const struct edged_endpoint *e)
{
	const struct sockaddr_storage *ss = &e->addr;
	bool v4 = ss->ss_family == AF_INET;
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	bool wild = addr_wildcard(ss);
	unsigned port = ntohs(v4 ? s4->sin_port : s6->sin6_port);
	char a[64];

	fprintf(out, "\t\t");
	if (wild) {
		fprintf(out, "meta nfproto %s ", v4 ? "ipv4" : "ipv6");
	} else {
		addr_fmt(a, sizeof(a), (const struct sockaddr *)ss);
		fprintf(out, "%s daddr %s ", v4 ? "ip" : "ip6", a);
	}
	if (e->proto == IPPROTO_ESP)	/* no port: IPsec's packets */
		fprintf(out, "meta l4proto esp accept comment \"%s\"\n",
		    e->what);
	else
		fprintf(out, "%s dport %u accept comment \"%s\"\n",
		    e->proto == IPPROTO_UDP ? "udp" : "tcp", port, e->what);
}

/*
 * edged's own endpoints, after the rules (input only): the virtual
 * servers', the stats listener's (the metrics), and whatever else a
 * module receives.  An appliance with `default-policy drop` still serves
 * and can still be scraped, and a rule, which comes first, can still
 * close any of them.
 */
static void
write_endpoints(FILE *out, const struct edged_endpoints *eps)
{
	for (size_t i = 0; i < eps->n; i++)
		write_endpoint(out, &eps->v[i]);
}

static void
write_policy(FILE *out, enum fw_action p, const char *counter)
{
	const char *none[1] = { "" };

	write_action(out, none, 1, p, SC_N, counter, "");
}

static void write_steer_back(FILE *out, const struct fw_conf *c);

static void
write_filter(FILE *out, const struct fw_conf *c,
    const struct edged_endpoints *eps, bool input)
{
	/* the kernel's virtual servers' flows, let through after the rules
	 * as edged's own endpoints are let in */
	fprintf(out, "\tchain filter_%s {\n\t\ttype filter hook %s priority "
	    "filter; policy accept;\n", input ? "input" : "forward",
	    input ? "input" : "forward");
	fprintf(out, "\t\tct state established,related accept\n");
	fprintf(out, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, "
	    "nd-neighbor-solicit, nd-neighbor-advert } accept\n");
	fprintf(out, "\t\tct state invalid drop\n");
	if (!input)
		write_steer_back(out, c);
	if (input)
		fprintf(out, "\t\tiifname \"lo\" accept\n");
	write_rules(out, c, input);
	if (input)
		write_endpoints(out, eps);
	else
		fw_klb_write_accepts(out, eps);
	write_policy(out, c->default_policy, input ? "default_in" :
	    "default_fwd");
	fprintf(out, "\t}\n");
}

/* ---- NAT ---- */

struct nat_arg {
	const struct fw_nat_rule *r;
};

static void
emit_nat(FILE *out, const char *const *parts, size_t n, enum svc_class cls,
    void *arg)
{
	const struct fw_nat_rule *r = ((struct nat_arg *)arg)->r;
	char tail[320], lo[64], hi[64], to[160];

	(void)cls;
	if (r->masquerade) {
		snprintf(to, sizeof(to), "masquerade");
	} else {
		const char *l3 = r->to_lo.family == AF_INET ? "ip" : "ip6";
		bool v6 = r->to_lo.family == AF_INET6;

		fw_prefix_fmt(lo, sizeof(lo), &r->to_lo);
		if (r->to_hi.family != 0) {
			fw_prefix_fmt(hi, sizeof(hi), &r->to_hi);
			snprintf(to, sizeof(to), "%s %s to %s-%s",
			    r->kind == FW_SNAT ? "snat" : "dnat", l3, lo, hi);
		} else if (r->to_port != 0) {
			snprintf(to, sizeof(to), "dnat %s to %s%s%s:%u", l3,
			    v6 ? "[" : "", lo, v6 ? "]" : "", r->to_port);
		} else {
			snprintf(to, sizeof(to), "%s %s to %s",
			    r->kind == FW_SNAT ? "snat" : "dnat", l3, lo);
		}
	}
	snprintf(tail, sizeof(tail), "counter name \"n_%s\" %s comment "
	    "\"%s %s\"", r->sel.name, to, r->kind == FW_SNAT ? "snat" :
	    "dnat", r->sel.name);
	rule_line(out, parts, n, tail);
}

/* What the modules keep from source NAT (an IPsec site's subnets),
 * let by before the rules: accept ends the nat chain, untranslated. */
static void
write_nat_exempt(FILE *out, const struct edged_endpoints *eps)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < eps->nnx; i++) {
		const struct edged_nat_exempt *x = &eps->nx[i];
		const char *l3 = x->src.ss_family == AF_INET ? "ip" : "ip6";

		addr_fmt(s, sizeof(s), (const struct sockaddr *)&x->src);
		addr_fmt(d, sizeof(d), (const struct sockaddr *)&x->dst);
		fprintf(out, "\t\t%s saddr %s/%u %s daddr %s/%u accept comment "
		    "\"%s: no NAT\"\n", l3, s, x->src_len, l3, d, x->dst_len,
		    x->what);
	}
}

/* The NAT rules of kind, after the kernel's virtual servers' (edged's
 * own come first, as a listen does). */
static void
write_nat(FILE *out, const struct fw_conf *c,
    const struct edged_endpoints *eps, enum fw_nat_kind kind)
{
	fprintf(out, "\tchain nat_%s {\n\t\ttype nat hook %s priority %s; "
	    "policy accept;\n", kind == FW_DNAT ? "prerouting" : "postrouting",
	    kind == FW_DNAT ? "prerouting" : "postrouting",
	    kind == FW_DNAT ? "dstnat" : "srcnat");
	if (kind == FW_DNAT)
		fw_klb_write_dnat(out, eps);
	else {
		fw_klb_write_snat(out, eps);
		write_nat_exempt(out, eps);
	}
	for (size_t i = 0; i < c->nnats; i++) {
		const struct fw_nat_rule *r = &c->nats[i];
		struct nat_arg na = { .r = r };
		struct expand e = { .sel = &r->sel, .oif = r->out_if,
		    .only = F4 | F6 };

		if (r->kind != kind)
			continue;
		if (!r->masquerade)
			e.only = fam_bit(r->to_lo.family);
		expand(out, c, &e, emit_nat, &na);
	}
	fprintf(out, "\t}\n");
}

/* ---- the table ---- */

static bool
any_snat(const struct fw_conf *c)
{
	for (size_t i = 0; i < c->nnats; i++)
		if (c->nats[i].kind == FW_SNAT)
			return true;
	return false;
}

bool
fw_nft_active(const struct fw_conf *c, const struct edged_endpoints *eps)
{
	return fw_active(c) || eps->nks > 0 || eps->transparent != 0;
}

/* The members' replies to a transparent pool's connections (which left
 * from the clients' addresses) belong to edged's sockets: marked, for
 * the route that delivers them locally (fw_route.h). */
static void
write_transparent(FILE *out, const struct edged_endpoints *eps)
{
	if (eps->transparent == 0)
		return;
	fprintf(out, "\tchain transparent {\n\t\ttype filter hook prerouting "
	    "priority mangle; policy accept;\n\t\tmeta l4proto { tcp, udp } "
	    "socket transparent 1 meta mark set 0x%x accept comment "
	    "\"replies to transparent pools\"\n\t}\n", FW_TPROXY_MARK);
}

/* ---- service insertion ---- */

struct steer_arg {
	const struct fw_conf *c;
	const struct fw_rule *r;
	bool pass;			/* matched, not steered: return */
};

static void
emit_steer(FILE *out, const char *const *parts, size_t n,
    enum svc_class cls, void *arg)
{
	struct steer_arg *sa = arg;
	const struct fw_chain *ch;
	char tail[300];

	(void)cls;
	if (sa->r->chain < 0 || sa->pass) {
		rule_line(out, parts, n, "return");
		return;
	}
	ch = &sa->c->chains[sa->r->chain];
	snprintf(tail, sizeof(tail), "ct mark set 0x%x meta mark set 0x%x "
	    "counter name \"s_%s\" return comment \"rule %s\"",
	    FW_STEER_CT(ch->id), FW_STEER_MARK(ch->id, 0), ch->name,
	    sa->r->sel.name);
	rule_line(out, parts, n, tail);
}

/* what comes back from the chains' appliances: on to the next hop, or
 * routed as usual after the last; then the flows steered before */
static void
write_steer_hops(FILE *out, const struct fw_conf *c)
{
	for (size_t i = 0; i < c->nchains; i++) {
		const struct fw_chain *ch = &c->chains[i];

		if (!ch->used)
			continue;
		for (size_t k = 0; k < ch->nhops; k++) {
			fprintf(out, "\t\tiifname \"%s\" ct mark 0x%x ",
			    c->appliances[ch->hops[k]].ifname,
			    FW_STEER_CT(ch->id));
			if (k + 1 < ch->nhops)
				fprintf(out, "meta mark set 0x%x ",
				    FW_STEER_MARK(ch->id, k + 1));
			fprintf(out, "return\n");
		}
		fprintf(out, "\t\tct mark 0x%x meta mark set 0x%x counter name "
		    "\"s_%s\" return\n", FW_STEER_CT(ch->id),
		    FW_STEER_MARK(ch->id, 0),
		    ch->name);
	}
}

/* the interfaces of the appliances in chains, each once, as an nft
 * set's elements: "\"ins0\", \"ins1\"" */
static void
steer_ifs(const struct fw_conf *c, char *buf, size_t size)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nappliances; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= c->appliances[j].used && strcmp(
			    c->appliances[j].ifname, c->appliances[i].ifname) == 0;
		if (c->appliances[i].used && !seen && k < size)
			k += (size_t)snprintf(buf + k, size - k, "%s\"%s\"",
			    k > 0 ? ", " : "", c->appliances[i].ifname);
	}
}

/* the index of the last rule that steers; c->nrules: none */
static size_t
last_steer(const struct fw_conf *c)
{
	size_t last = c->nrules;

	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].chain >= 0)
			last = i;
	return last;
}

/* rule r in the classifier: its matches, for the families its chain has
 * (steered) and for the others (matched: the classifying ends) */
static void
write_steer_rule(FILE *out, const struct fw_conf *c, const struct fw_rule *r)
{
	unsigned fam = r->chain >= 0 ? c->chains[r->chain].families :
	    F4 | F6;
	struct steer_arg sa = { c, r, false };
	struct expand e = { .sel = &r->sel,
	    .original = any_dnat(c) && !r->match_translated, .only = fam };

	expand(out, c, &e, emit_steer, &sa);
	if (fam == (F4 | F6))
		return;
	sa.pass = true;
	e.only = (F4 | F6) & ~fam;
	expand(out, c, &e, emit_steer, &sa);
}

/*
 * A steered flow's first packets cross the forward filter again when
 * their appliance hands them back (the connection has seen no reply
 * yet: still new), now from the appliance's interface, where a rule's
 * in-interface would not match: what comes back from an appliance with
 * a chain's mark was accepted on its way in, and is accepted again.
 */
static void
write_steer_back(FILE *out, const struct fw_conf *c)
{
	char ifs[FW_APPLIANCES_MAX * (FW_IFNAME_MAX + 4)];

	if (last_steer(c) == c->nrules)
		return;
	steer_ifs(c, ifs, sizeof(ifs));
	fprintf(out, "\t\tiifname { %s } ct mark and 0x%x == 0x%x accept "
	    "comment \"steered, back from its appliance\"\n", ifs,
	    FW_STEER_CT_MASK, FW_STEER_CT(-1));
}

/*
 * Service insertion's classifier, before routing: a new flow is matched
 * against the rules in order, as the filter will match it, up to the
 * last that steers; the first it matches decides: a rule that steers
 * marks the connection for its chain (and the packet for the chain's
 * first hop), any other leaves it alone.  What the appliances send
 * themselves is never steered.
 */
static void
write_steer(FILE *out, const struct fw_conf *c)
{
	size_t last = last_steer(c);
	char ifs[FW_APPLIANCES_MAX * (FW_IFNAME_MAX + 4)];

	if (last == c->nrules)
		return;
	fprintf(out, "\tchain steer {\n\t\ttype filter hook prerouting "
	    "priority mangle; policy accept;\n");
	write_steer_hops(out, c);
	fprintf(out, "\t\tct state != new return\n");
	steer_ifs(c, ifs, sizeof(ifs));
	fprintf(out, "\t\tiifname { %s } return\n", ifs);
	for (size_t i = 0; i <= last; i++)
		if (!c->rules[i].sel.dst.self)
			write_steer_rule(out, c, &c->rules[i]);
	fprintf(out, "\t}\n");
}

/* The nat output chain: the kernel's virtual servers reached from the
 * edge itself. */
static void
write_nat_output(FILE *out, const struct edged_endpoints *eps)
{
	fprintf(out, "\tchain nat_output {\n\t\ttype nat hook output "
	    "priority -100; policy accept;\n");
	fw_klb_write_dnat(out, eps);
	fprintf(out, "\t}\n");
}

void
fw_nft_write(FILE *out, const struct fw_conf *c,
    const struct edged_endpoints *eps)
{
	if (!fw_nft_active(c, eps))
		return;
	fprintf(out, "table inet %s {\n", FW_TABLE);
	write_sets(out, c);
	for (size_t i = 0; i < c->nrules; i++)
		fprintf(out, "\tcounter r_%s {\n\t}\n", c->rules[i].sel.name);
	for (size_t i = 0; i < c->nnats; i++)
		fprintf(out, "\tcounter n_%s {\n\t}\n", c->nats[i].sel.name);
	for (size_t i = 0; i < c->nchains; i++)
		if (c->chains[i].used)
			fprintf(out, "\tcounter s_%s {\n\t}\n",
			    c->chains[i].name);
	fw_klb_write_decls(out, eps);
	write_transparent(out, eps);
	if (c->firewall)
		write_steer(out, c);
	if (c->firewall) {
		fprintf(out, "\tcounter default_in {\n\t}\n"
		    "\tcounter default_fwd {\n\t}\n");
		write_shared(out, c);
		write_filter(out, c, eps, true);
		write_filter(out, c, eps, false);
	}
	if (any_dnat(c) || eps->nks > 0)
		write_nat(out, c, eps, FW_DNAT);
	if (eps->nks > 0)
		write_nat_output(out, eps);
	if (any_snat(c) || fw_klb_any_snat(eps))
		write_nat(out, c, eps, FW_SNAT);
	fprintf(out, "}\n");
}

char *
fw_nft_text(const struct fw_conf *c, const struct edged_endpoints *eps,
    size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	fw_nft_write(f, c, eps);
	return text_close(&t, len);
}
