/*
 * fw/fw_conf.c - the firewall and NAT directives: address-group, service,
 * firewall { rule }, nat { snat, dnat }.
 *
 * Vocabulary after NSX Edge: rules in order with source, destination,
 * service and action; groups of addresses that rules name, some of them
 * dynamic (members set at runtime, like Palo Alto's dynamic address
 * groups).  Names are resolved once the whole file is read.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fw_conf.h"
#include "fw_conf_int.h"
#include "util.h"

/* Appends a copy of word, written at pos.  0, or -1 out of memory, with
 * w as it was. */
static int
words_add(struct fw_words *w, const char *word, const struct conf_pos *pos)
{
	size_t n = w->n;
	char *copy, **wslot;
	struct conf_pos *pslot;

	/* w->w first, on a copy of the count both arrays share: the count
	 * goes up with the last push only */
	if ((copy = strdup(word)) == NULL ||
	    (wslot = conf_push(&w->w, &n, sizeof(*wslot))) == NULL ||
	    (pslot = conf_push(&w->pos, &w->n, sizeof(*pslot))) == NULL) {
		free(copy);
		return -1;
	}
	*wslot = copy;
	*pslot = *pos;
	return 0;
}

static void
words_release(struct fw_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->w[i]);
	free(w->w);
	free(w->pos);
}

/* ---- addresses ---- */

int
fw_prefix_parse(const char *s, struct fw_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		out->len = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		out->len = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > out->len)
			return -1;
		out->len = (uint8_t)len;
	}
	/* host bits set: 10.0.0.1/8 is a typo for something */
	for (unsigned bit = out->len; bit < (out->family == AF_INET ?
	    32u : 128u); bit++)
		if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -2;
	return 0;
}

void
fw_prefix_fmt(char *buf, size_t size, const struct fw_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (p->len == (p->family == AF_INET ? 32 : 128))
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%u", a, p->len);
}

/* ADDR or ADDR/LEN of argument i, with an error naming the directive. */
static int
get_prefix(struct conf_diag *d, const struct conf_node *n, const char *word,
    const struct conf_pos *pos, struct fw_prefix *out)
{
	int r = fw_prefix_parse(word, out);

	if (r == -2)
		conf_error(d, pos, "'%s': '%s' has bits set after the prefix "
		    "length; did you mean the network address?", n->args[0],
		    word);
	else if (r < 0)
		conf_error(d, pos, "'%s' expects an IPv4 or IPv6 address or "
		    "prefix (ADDR or ADDR/LEN), got '%s'", n->args[0], word);
	return r < 0 ? -1 : 0;
}

/* ---- ICMP types (nft's names) ---- */

struct icmp_type {
	const char *name;
	uint16_t type;
};

static const struct icmp_type icmp4_types[] = {
	{ "echo-reply", 0 }, { "destination-unreachable", 3 },
	{ "source-quench", 4 }, { "redirect", 5 }, { "echo-request", 8 },
	{ "router-advertisement", 9 }, { "router-solicitation", 10 },
	{ "time-exceeded", 11 }, { "parameter-problem", 12 },
	{ "timestamp-request", 13 }, { "timestamp-reply", 14 },
};

static const struct icmp_type icmp6_types[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 },
	{ "time-exceeded", 3 }, { "parameter-problem", 4 },
	{ "echo-request", 128 }, { "echo-reply", 129 },
	{ "nd-router-solicit", 133 }, { "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 }, { "nd-neighbor-advert", 136 },
};

static const struct icmp_type *
icmp_table(enum fw_proto proto, size_t *n)
{
	if (proto == FW_ICMP) {
		*n = ARRAY_LEN(icmp4_types);
		return icmp4_types;
	}
	*n = ARRAY_LEN(icmp6_types);
	return icmp6_types;
}

const char *
fw_icmp_type_name(enum fw_proto proto, uint16_t type)
{
	size_t n;
	const struct icmp_type *t = icmp_table(proto, &n);

	for (size_t i = 0; i < n; i++)
		if (t[i].type == type)
			return t[i].name;
	return NULL;
}

const char *const fw_proto_names[] = {
	[FW_TCP] = "tcp", [FW_UDP] = "udp", [FW_ICMP] = "icmp",
	[FW_ICMPV6] = "icmpv6", NULL,
};

/* ---- services ---- */

/* One port or range "80", "8000-8080" (spec, up to its end or a comma). */
static int
parse_port_range(const char *s, size_t len, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char buf[16], *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	a = strtoul(buf, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0' || a < 1 || a > 65535 || b < 1 || b > 65535 || b < a)
		return -2;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* "80,443,8000-8080" or "echo-request,echo-reply" for proto, appended to
 * items.  word is for messages. */
int
fw_svc_list(struct conf_diag *d, const struct conf_pos *pos,
    const char *what, enum fw_proto proto, const char *list,
    struct fw_svc_item **items, size_t *nitems)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		struct fw_svc_item it = { .proto = proto }, *slot;

		if (proto == FW_TCP || proto == FW_UDP) {
			int r = parse_port_range(p, len, &it.lo, &it.hi);

			if (r < 0) {
				conf_error(d, pos, "%s: bad %s port '%.*s': "
				    "expected a port 1-65535 or a range "
				    "LOW-HIGH within it", what,
				    fw_proto_names[proto], (int)len, p);
				return -1;
			}
		} else {
			size_t nt;
			const struct icmp_type *t = icmp_table(proto, &nt);
			const char *cands[16];
			char hint[96], name[32];
			size_t i;

			for (i = 0; i < nt; i++)
				if (strlen(t[i].name) == len &&
				    strncmp(t[i].name, p, len) == 0)
					break;
			if (i == nt) {
				snprintf(name, sizeof(name), "%.*s",
				    (int)(len < 31 ? len : 31), p);
				for (size_t k = 0; k < nt; k++)
					cands[k] = t[k].name;
				conf_error(d, pos, "%s: unknown %s type '%s'%s",
				    what, fw_proto_names[proto], name,
				    conf_hint(name, cands, nt, hint,
				    sizeof(hint)));
				return -1;
			}
			it.lo = it.hi = t[i].type;
		}
		if ((slot = conf_push(items, nitems, sizeof(it))) == NULL)
			return conf_oom(d, pos);
		*slot = it;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Any port or type of proto, appended to items; pos for messages. */
int
fw_proto_any(struct conf_diag *d, const struct conf_pos *pos,
    enum fw_proto proto, struct fw_svc_item **items, size_t *nitems)
{
	struct fw_svc_item *it = conf_push(items, nitems, sizeof(*it));

	if (it == NULL)
		return conf_oom(d, pos);
	it->proto = proto;
	if (proto == FW_ICMP || proto == FW_ICMPV6)
		it->lo = it->hi = FW_ICMP_ANY;
	return 0;
}

static int
set_svc_proto(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_service *s = obj;
	enum fw_proto proto = FW_TCP;
	char what[96];

	while (strcmp(fw_proto_names[proto], n->args[0]) != 0)
		proto++;
	if (n->nargs == 1 || (n->nargs == 2 && strcmp(n->args[1], "any") == 0))
		return fw_proto_any(d, &n->pos, proto, &s->items, &s->nitems);
	snprintf(what, sizeof(what), "service %s", s->name);
	for (size_t i = 1; i < n->nargs; i++)
		if (fw_svc_list(d, &n->argpos[i], what, proto, n->args[i],
		    &s->items, &s->nitems) < 0)
			return -1;
	return 0;
}

static const struct conf_directive service_rows[] = {
	{ "tcp", 0, CONF_ARGS_ANY, CONF_NO_BLOCK, set_svc_proto,
	    "tcp [PORT|LOW-HIGH,...|any]" },
	{ "udp", 0, CONF_ARGS_ANY, CONF_NO_BLOCK, set_svc_proto,
	    "udp [PORT|LOW-HIGH,...|any]" },
	{ "icmp", 0, CONF_ARGS_ANY, CONF_NO_BLOCK, set_svc_proto,
	    "icmp [TYPE,...|any]" },
	{ "icmpv6", 0, CONF_ARGS_ANY, CONF_NO_BLOCK, set_svc_proto,
	    "icmpv6 [TYPE,...|any]" },
};

bool
fw_name_taken(struct conf_diag *d, const struct conf_node *n, const char *what,
    const char *name, const struct conf_pos *first)
{
	if (first == NULL)
		return false;
	conf_error(d, &n->argpos[1], "%s '%s' is already defined at %s:%u:%u",
	    what, name, first->file, first->line, first->col);
	return true;
}

static const struct conf_pos *
find_service_pos(const struct fw_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i].name, name) == 0)
			return &c->services[i].pos;
	return NULL;
}

int
fw_service_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct fw_conf *c = obj;
	struct fw_service *s;
	char name[FW_NAME_MAX], ctx[96];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0 ||
	    fw_name_taken(d, n, "service", name, find_service_pos(c, name)))
		return -1;
	if ((s = conf_push(&c->services, &c->nservices, sizeof(*s))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(s->name, name, sizeof(name));
	s->pos = n->pos;
	snprintf(ctx, sizeof(ctx), "service %s", name);
	if (conf_apply(d, n, ctx, service_rows, ARRAY_LEN(service_rows), s))
		return -1;
	if (s->nitems == 0) {
		conf_error(d, &n->pos, "service %s names no protocol: add "
		    "tcp, udp, icmp or icmpv6", name);
		return -1;
	}
	return 0;
}

/* ---- address groups ---- */

long
fw_group_find(const struct fw_conf *c, const char *name)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int
set_group_address(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_group *g = obj;

	for (size_t i = 1; i < n->nargs; i++) {
		struct fw_prefix p, *slot;

		if (get_prefix(d, n, n->args[i], &n->argpos[i], &p) < 0)
			return -1;
		if ((slot = conf_push(&g->members, &g->nmembers,
		    sizeof(p))) == NULL)
			return conf_oom(d, &n->argpos[i]);
		*slot = p;
	}
	return 0;
}

static int
set_group_dynamic(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_group *g = obj;

	(void)d;
	(void)n;
	g->dynamic = true;
	g->feed_and_dynamic = g->feed != NULL;
	return 0;
}

static const struct conf_directive group_rows[] = {
	{ "address", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, set_group_address,
	    "address ADDR[/LEN]..." },
	{ "dynamic", 0, 0, CONF_NO_BLOCK, set_group_dynamic, "dynamic" },
	{ "feed", 1, 1, CONF_MAY_BLOCK, fw_group_feed,
	    "feed URL [{ refresh; format; max-entries }]" },
};

int
fw_group_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct fw_conf *c = obj;
	struct fw_group *g;
	char name[FW_NAME_MAX], ctx[96];
	long old;

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	old = fw_group_find(c, name);
	if (fw_name_taken(d, n, "address-group", name,
	    old >= 0 ? &c->groups[old].pos : NULL))
		return -1;
	if (strcmp(name, "any") == 0 || strcmp(name, "self") == 0) {
		conf_error(d, &n->argpos[1], "'%s' is a reserved word in "
		    "sources and destinations: choose another group name",
		    name);
		return -1;
	}
	if ((g = conf_push(&c->groups, &c->ngroups, sizeof(*g))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(g->name, name, sizeof(name));
	g->pos = n->pos;
	snprintf(ctx, sizeof(ctx), "address-group %s", name);
	if (conf_apply(d, n, ctx, group_rows, ARRAY_LEN(group_rows), g))
		return -1;
	if (g->feed != NULL && (g->nmembers > 0 || g->feed_and_dynamic)) {
		conf_error(d, &n->pos, "address-group %s is fed from %s: its "
		    "members come from the feed alone (no 'address', no "
		    "'dynamic')", name, g->feed->url);
		return -1;
	}
	if (g->dynamic && g->nmembers > 0) {
		conf_error(d, &n->pos, "address-group %s is dynamic: its "
		    "members are set with 'edgectl group', not 'address'",
		    name);
		return -1;
	}
	return 0;
}

/* ---- rules: shared parts ---- */

/* source/destination WORD...: any, self, addresses, prefixes, groups
 * (resolved later). */
static int
set_match(struct conf_diag *d, const struct conf_node *n, struct fw_match *m,
    bool self_ok)
{
	if (m->set) {
		conf_error(d, &n->pos, "'%s' is given twice: list everything "
		    "in one", n->args[0]);
		return -1;
	}
	m->set = true;
	for (size_t i = 1; i < n->nargs; i++) {
		const char *w = n->args[i];
		struct fw_prefix p, *slot;
		int r;

		if (strcmp(w, "any") == 0 || strcmp(w, "self") == 0) {
			if (n->nargs > 2) {
				conf_error(d, &n->argpos[i], "'%s' stands "
				    "alone in '%s'", w, n->args[0]);
				return -1;
			}
			if (w[0] == 's' && !self_ok) {
				conf_error(d, &n->argpos[i], "'self' is only "
				    "a destination (the appliance's own "
				    "traffic is not filtered)");
				return -1;
			}
			m->self = w[0] == 's';
			continue;
		}
		r = fw_prefix_parse(w, &p);
		if (r == 0) {
			if ((slot = conf_push(&m->addrs, &m->naddrs,
			    sizeof(p))) == NULL)
				return conf_oom(d, &n->argpos[i]);
			*slot = p;
			continue;
		}
		if (r == -2 || strchr(w, '/') != NULL || strchr(w, ':') ||
		    (w[0] >= '0' && w[0] <= '9' && strchr(w, '.'))) {
			get_prefix(d, n, w, &n->argpos[i], &p);
			return -1;
		}
		/* each group is an alternative the compiler expands */
		if (m->names.n == FW_MATCH_GROUPS_MAX) {
			conf_error(d, &n->argpos[i], "'%s' names more than %d "
			    "groups: merge some", n->args[0],
			    FW_MATCH_GROUPS_MAX);
			return -1;
		}
		if (words_add(&m->names, w, &n->argpos[i]) < 0)
			return conf_oom(d, &n->argpos[i]);
	}
	return 0;
}

int
fw_get_ifname(struct conf_diag *d, const struct conf_node *n, char *out)
{
	const char *w = n->args[1];
	size_t len = strlen(w);

	if (len == 0 || len >= FW_IFNAME_MAX || strchr(w, '/') ||
	    strchr(w, '"') || strchr(w, '\\') || strcmp(w, ".") == 0 ||
	    strcmp(w, "..") == 0) {
		conf_error(d, &n->argpos[1], "'%s': bad interface name '%s': "
		    "1-%d characters, no '/', quote or backslash", n->args[0],
		    w, FW_IFNAME_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)w[i] <= ' ' || (unsigned char)w[i] >= 0x7f) {
			conf_error(d, &n->argpos[1], "'%s': bad interface "
			    "name '%s': printable characters only",
			    n->args[0], w);
			return -1;
		}
	memcpy(out, w, len + 1);
	return 0;
}

static int
get_on_off(struct conf_diag *d, const struct conf_node *n, bool *out)
{
	static const char *const onoff[] = { "off", "on", NULL };
	unsigned k;

	if (conf_get_keyword(d, n, 1, onoff, &k) < 0)
		return -1;
	*out = k == 1;
	return 0;
}

/* ---- what rules and NAT rules share (struct fw_sel, their first
 * member, is the object of these setters) ---- */

static int
sel_source(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return set_match(d, n, &((struct fw_sel *)obj)->src, false);
}

/* a firewall rule's: it may be the appliance itself */
static int
sel_destination_self(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	return set_match(d, n, &((struct fw_sel *)obj)->dst, true);
}

/* a NAT rule's */
static int
sel_destination(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return set_match(d, n, &((struct fw_sel *)obj)->dst, false);
}

static int
sel_service(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_words *w = &((struct fw_sel *)obj)->svcnames;

	if (w->n > 0) {
		conf_error(d, &n->pos, "'service' is given twice: list "
		    "everything in one");
		return -1;
	}
	for (size_t i = 1; i < n->nargs; i++)
		if (words_add(w, n->args[i], &n->argpos[i]) < 0)
			return conf_oom(d, &n->argpos[i]);
	return 0;
}

static int
sel_in_if(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return fw_get_ifname(d, n, ((struct fw_sel *)obj)->in_if);
}

/*
 * A rule block NAME { ... } into sel, the first member of the element
 * just added to an array whose other nothers elements, stride bytes
 * apart, are at others: the name (not taken among them: what names
 * them in messages), then the block's statements through rows.  0, or
 * -1 after errors; sel->bad stays set until the caller's own checks
 * pass, so that a rule with errors is not resolved.
 */
static int
sel_block(struct conf_diag *d, const struct conf_node *n, const char *what,
    struct fw_sel *sel, const void *others, size_t nothers, size_t stride,
    const struct conf_directive *rows, size_t nrows)
{
	char ctx[96];

	sel->bad = true;
	sel->pos = n->pos;
	if (conf_get_name(d, n, 1, sel->name, sizeof(sel->name)) < 0)
		return -1;
	for (size_t i = 0; i < nothers; i++) {
		const struct fw_sel *o = (const void *)((const char *)others +
		    i * stride);

		if (fw_name_taken(d, n, what, sel->name, strcmp(o->name,
		    sel->name) == 0 ? &o->pos : NULL))
			return -1;
	}
	snprintf(ctx, sizeof(ctx), "%s %s", n->args[0], sel->name);
	return conf_apply(d, n, ctx, rows, nrows, sel) ? -1 : 0;
}

/* ---- firewall rules ---- */

static const char *const action_names[] = {
	[FW_ACCEPT] = "accept", [FW_DROP] = "drop", [FW_REJECT] = "reject",
	NULL,
};

const char *
fw_action_name(enum fw_action a)
{
	return action_names[a];
}

static int
rule_action(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_rule *r = obj;
	unsigned k;

	if (conf_get_keyword(d, n, 1, action_names, &k) < 0)
		return -1;
	r->action = (enum fw_action)k;
	r->action_set = true;
	return 0;
}

static int
rule_log(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return get_on_off(d, n, &((struct fw_rule *)obj)->log);
}

static int
rule_translated(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return get_on_off(d, n, &((struct fw_rule *)obj)->match_translated);
}

static const struct conf_directive rule_rows[] = {
	{ "source", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, sel_source,
	    "source any|ADDR[/LEN]|GROUP..." },
	{ "destination", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, sel_destination_self,
	    "destination any|self|ADDR[/LEN]|GROUP..." },
	{ "service", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, sel_service,
	    "service NAME|tcp/PORTS|udp/PORTS|icmp/TYPE|icmpv6/TYPE..." },
	{ "action", 1, 1, CONF_NO_BLOCK, rule_action,
	    "action accept|drop|reject" },
	{ "log", 1, 1, CONF_NO_BLOCK, rule_log, "log on|off" },
	{ "match-translated", 1, 1, CONF_NO_BLOCK, rule_translated,
	    "match-translated on|off" },
	{ "in-interface", 1, 1, CONF_NO_BLOCK, sel_in_if,
	    "in-interface NAME" },
	{ "steer", 1, 1, CONF_NO_BLOCK, fw_rule_steer, "steer CHAIN" },
};

static int
set_rule(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_conf *c = obj;
	struct fw_rule *r = conf_push(&c->rules, &c->nrules, sizeof(*r));

	if (r == NULL)
		return conf_oom(d, &n->pos);
	if (sel_block(d, n, "rule", &r->sel, c->rules, c->nrules - 1,
	    sizeof(*r), rule_rows, ARRAY_LEN(rule_rows)) < 0)
		return -1;
	if (!r->action_set) {
		conf_error(d, &n->pos, "rule %s has no action: add 'action "
		    "accept', 'action drop' or 'action reject'", r->sel.name);
		return -1;
	}
	r->sel.bad = false;
	return 0;
}

static int
set_policy(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_conf *c = obj;
	unsigned k;

	if (conf_get_keyword(d, n, 1, action_names, &k) < 0)
		return -1;
	c->default_policy = (enum fw_action)k;
	return 0;
}

static const struct conf_directive firewall_rows[] = {
	{ "default-policy", 1, 1, CONF_NO_BLOCK, set_policy,
	    "default-policy drop|reject|accept" },
	{ "rule", 1, 1, CONF_NEEDS_BLOCK, set_rule, "rule NAME { }" },
};

int
fw_firewall_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct fw_conf *c = obj;

	if (c->firewall) {
		conf_error(d, &n->pos, "'firewall' is given twice (first at "
		    "%s:%u:%u): one block holds every rule", c->fw_pos.file,
		    c->fw_pos.line, c->fw_pos.col);
		return -1;
	}
	c->firewall = true;
	c->fw_pos = n->pos;
	return conf_apply(d, n, "firewall", firewall_rows,
	    ARRAY_LEN(firewall_rows), c) ? -1 : 0;
}

/* ---- NAT ---- */

static int
nat_out_if(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return fw_get_ifname(d, n, ((struct fw_nat_rule *)obj)->out_if);
}

/* The port of "ADDR:PORT" or "[V6ADDR]:PORT" in buf, which keeps the
 * address alone: 1-65535, 0 without one, -1 when malformed. */
static long
take_port(char *buf)
{
	char *colon = NULL, *end;
	unsigned long port;

	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		if (close[1] == ':')
			colon = close + 1;
		*close = '\0';
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	} else if (strchr(buf, ':') == strrchr(buf, ':')) {
		colon = strchr(buf, ':');
	}
	if (colon == NULL)
		return 0;
	*colon = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	port = strtoul(colon + 1, &end, 10);
	return *end != '\0' || port < 1 || port > 65535 ? -1 : (long)port;
}

/* "ADDR" or "LOW-HIGH" in buf (w as written, for messages) into r's
 * to_lo and to_hi: 0, -1 after an error about the range, -2 when buf is
 * no address at all. */
static int
take_addrs(struct conf_diag *d, const struct conf_node *n,
    struct fw_nat_rule *r, char *buf, const char *w)
{
	char *dash = strchr(buf, '-');

	if (dash != NULL)
		*dash = '\0';
	if (fw_prefix_parse(buf, &r->to_lo) < 0 ||
	    r->to_lo.len != (r->to_lo.family == AF_INET ? 32 : 128))
		return -2;
	if (dash == NULL)
		return 0;
	if (fw_prefix_parse(dash + 1, &r->to_hi) < 0 ||
	    r->to_hi.family != r->to_lo.family ||
	    r->to_hi.len != r->to_lo.len ||
	    memcmp(r->to_hi.addr, r->to_lo.addr, 16) < 0) {
		conf_error(d, &n->argpos[1], "'translate-to': bad address "
		    "range '%s': LOW-HIGH of one family, LOW first", w);
		return -1;
	}
	return 0;
}

/* translate-to masquerade | ADDR | ADDR-ADDR | ADDR:PORT | [V6]:PORT */
static int
nat_translate(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_nat_rule *r = obj;
	const char *w = n->args[1];
	char buf[128];
	long port;
	int rc;

	r->to_set = true;
	r->to_pos = n->argpos[1];
	if (strcmp(w, "masquerade") == 0) {
		if (r->kind == FW_DNAT) {
			conf_error(d, &n->argpos[1], "masquerade is for snat "
			    "rules; a dnat rule translates to ADDR[:PORT]");
			return -1;
		}
		r->masquerade = true;
		return 0;
	}
	if (strlen(w) >= sizeof(buf))
		goto bad;
	memcpy(buf, w, strlen(w) + 1);
	if ((port = take_port(buf)) < 0)
		goto bad;
	if (port > 0 && r->kind == FW_SNAT) {
		conf_error(d, &n->argpos[1], "an snat rule translates the "
		    "address only: '%s' has a port", w);
		return -1;
	}
	if ((rc = take_addrs(d, n, r, buf, w)) == -2)
		goto bad;
	r->to_port = (uint16_t)port;
	return rc;
bad:
	conf_error(d, &n->argpos[1], "'translate-to' expects %s, got '%s'",
	    r->kind == FW_SNAT ? "masquerade, an address or a range "
	    "LOW-HIGH" : "an address, optionally with a port (ADDR:PORT, "
	    "[V6ADDR]:PORT), or a range LOW-HIGH", w);
	return -1;
}

static const struct conf_directive nat_rule_rows[] = {
	{ "source", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, sel_source,
	    "source any|ADDR[/LEN]|GROUP..." },
	{ "destination", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, sel_destination,
	    "destination any|ADDR[/LEN]|GROUP..." },
	{ "service", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, sel_service,
	    "service NAME|tcp/PORTS|udp/PORTS..." },
	{ "in-interface", 1, 1, CONF_NO_BLOCK, sel_in_if,
	    "in-interface NAME" },
	{ "out-interface", 1, 1, CONF_NO_BLOCK, nat_out_if,
	    "out-interface NAME" },
	{ "translate-to", 1, 1, CONF_NO_BLOCK, nat_translate,
	    "translate-to masquerade|ADDR[-ADDR]|ADDR:PORT" },
};

static int
set_nat_rule(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_conf *c = obj;
	struct fw_nat_rule *r = conf_push(&c->nats, &c->nnats, sizeof(*r));
	const char *name;

	if (r == NULL)
		return conf_oom(d, &n->pos);
	name = r->sel.name;
	r->kind = n->args[0][0] == 's' ? FW_SNAT : FW_DNAT;
	if (sel_block(d, n, "NAT rule", &r->sel, c->nats, c->nnats - 1,
	    sizeof(*r), nat_rule_rows, ARRAY_LEN(nat_rule_rows)) < 0)
		return -1;
	if (!r->to_set) {
		conf_error(d, &n->pos, "%s %s has no 'translate-to'",
		    n->args[0], name);
		return -1;
	}
	if (r->kind == FW_SNAT && r->sel.in_if[0] != '\0') {
		conf_error(d, &n->pos, "snat %s: source NAT happens on the "
		    "way out: use 'out-interface', not 'in-interface'", name);
		return -1;
	}
	if (r->kind == FW_DNAT && r->out_if[0] != '\0') {
		conf_error(d, &n->pos, "dnat %s: destination NAT happens on "
		    "the way in: use 'in-interface', not 'out-interface'",
		    name);
		return -1;
	}
	r->sel.bad = false;
	return 0;
}

static const struct conf_directive nat_rows[] = {
	{ "snat", 1, 1, CONF_NEEDS_BLOCK, set_nat_rule, "snat NAME { }" },
	{ "dnat", 1, 1, CONF_NEEDS_BLOCK, set_nat_rule, "dnat NAME { }" },
};

int
fw_nat_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct fw_conf *c = obj;

	c->nat = true;
	return conf_apply(d, n, "nat", nat_rows, ARRAY_LEN(nat_rows), c) ?
	    -1 : 0;
}

void
fw_conf_init(struct fw_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->default_policy = FW_DROP;
}

/* ---- release ---- */

static void
match_release(struct fw_match *m)
{
	words_release(&m->names);
	free(m->addrs);
	free(m->groups);
}

static void
sel_release(struct fw_sel *sel)
{
	match_release(&sel->src);
	match_release(&sel->dst);
	free(sel->svc);
	words_release(&sel->svcnames);
}

void
fw_conf_release(struct fw_conf *c)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		free(c->groups[i].members);
		if (c->groups[i].feed != NULL)
			explicit_bzero(c->groups[i].feed->header,
			    sizeof(c->groups[i].feed->header));
		free(c->groups[i].feed);
	}
	free(c->groups);
	for (size_t i = 0; i < c->nservices; i++)
		free(c->services[i].items);
	free(c->services);
	for (size_t i = 0; i < c->nrules; i++)
		sel_release(&c->rules[i].sel);
	free(c->rules);
	for (size_t i = 0; i < c->nnats; i++)
		sel_release(&c->nats[i].sel);
	free(c->nats);
	fw_steer_release(c);
	fw_conf_init(c);
}

