/*
 * fw/fw_build_rule.c - one rule's statements (a chain's line of the
 * table's text) into the expressions nft makes of them (fw_build.h).
 *
 * A line is read left to right into a list of expressions, nft's
 * dependencies put before the first statement that needs them (`ip
 * saddr` needs `meta nfproto ipv4`, `tcp dport` needs `meta l4proto
 * tcp`; not again when the line already said so), then sent: the
 * anonymous sets of its braces first (NEWSET, NEWSETELEM), then the
 * rule.  Registers are numbered as nft numbers them: 32-bit slots from
 * the first, named as the 128-bit register when aligned to one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* after the libc's: linux/netfilter.h would define in_addr again */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "fw_build_int.h"
#include "fw_conf.h"
#include "fw_nlmsg.h"
#include "mem.h"

#define MSG(t)		((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (t)))
#define EX_MAX		48
#define ANON_MAX	4

/* nft's data types, protocol descriptions and header fields */
enum { T_IPADDR = 7, T_IP6ADDR = 8, T_INTEGER = 4, T_PROTO = 12,
    T_SERVICE = 13, T_ICMP = 14, T_ICMP6 = 29, T_IFNAME = 41 };
enum { D_ICMP = 4, D_UDP = 6, D_TCP = 8, D_IP = 12, D_IP6 = 13,
    D_ICMP6 = 14 };
enum { ORDER_HOST = 1, ORDER_BIG = 2 };

enum xk { X_META, X_META_SET, X_CMP, X_PAYLOAD, X_BITWISE, X_LOOKUP,
    X_IMM, X_VERDICT, X_OBJREF, X_CT, X_CT_SET, X_LIMIT, X_LOG, X_REJECT,
    X_NAT, X_MASQ, X_NUMGEN, X_HASH, X_SOCKET };

struct ex {
	enum xk k;
	uint32_t key;			/* the meta, ct, socket key; the cmp's
					 * op; the verdict; reject's, nat's
					 * type */
	uint32_t reg, sreg;
	uint32_t a, b, c, d;		/* by kind */
	uint8_t v[16], m[16];
	uint8_t vlen;
	int dir;			/* ct: -1, or the direction */
	const struct bld_word *name;	/* set, chain, counter, prefix */
	int anon;			/* lookup: -1, or its anonymous set */
};

struct anon {
	struct bld_key key;
	struct bld_range *r;
	size_t n, cap;
	bool interval;
	uint32_t id;
};

struct rule {
	struct bld *b;
	const struct bld_word *w;
	size_t n, i;
	uint8_t nfproto, l4;		/* what the line said so far */
	struct ex ex[EX_MAX];
	size_t nex;
	struct anon anon[ANON_MAX];
	size_t nanon;
	const struct bld_word *comment;
	bool full;			/* too many expressions */
};

/* nft's register for 32-bit slot s (0: the first) */
static uint32_t
reg_of(unsigned s)
{
	return s % 4 == 0 ? NFT_REG_1 + s / 4 : NFT_REG32_00 + s;
}

static struct ex *
push(struct rule *r, enum xk k)
{
	struct ex *e;

	if (r->nex == EX_MAX) {
		r->full = true;
		return &r->ex[0];	/* overwritten, refused later */
	}
	e = &r->ex[r->nex++];
	*e = (struct ex){ .k = k, .reg = NFT_REG_1, .sreg = NFT_REG_1,
	    .dir = -1, .anon = -1 };
	return e;
}

static const struct bld_word *
word(struct rule *r)
{
	return r->i < r->n ? &r->w[r->i] : NULL;
}

static bool
next_is(struct rule *r, const char *s)
{
	const struct bld_word *w = word(r);

	if (w == NULL || !bld_is(w, s))
		return false;
	r->i++;
	return true;
}

static int
fail(struct rule *r, const char *why)
{
	return bld_fail(r->b, why, word(r));
}

static void
load_meta(struct rule *r, uint32_t key)
{
	push(r, X_META)->key = key;
}

static void
cmp(struct rule *r, uint32_t op, const void *v, size_t len)
{
	struct ex *e = push(r, X_CMP);

	e->key = op;
	memcpy(e->v, v, len);
	e->vlen = (uint8_t)len;
}

static void
cmp_u8(struct rule *r, uint8_t v)
{
	cmp(r, NFT_CMP_EQ, &v, 1);
}

static void
cmp_host32(struct rule *r, uint32_t op, uint32_t v)
{
	cmp(r, op, &v, 4);
}

static void
payload(struct rule *r, uint32_t base, uint32_t off, uint32_t len,
    unsigned slot)
{
	struct ex *e = push(r, X_PAYLOAD);

	e->reg = reg_of(slot);
	e->a = base;
	e->b = off;
	e->c = len;
}

static void
bitwise(struct rule *r, const void *mask, size_t len)
{
	struct ex *e = push(r, X_BITWISE);

	memcpy(e->m, mask, len);
	e->vlen = (uint8_t)len;
}

static void
need_nfproto(struct rule *r, uint8_t f)
{
	if (r->nfproto == f)
		return;
	load_meta(r, NFT_META_NFPROTO);
	cmp_u8(r, f);
	r->nfproto = f;
}

static void
need_l4(struct rule *r, uint8_t p)
{
	if (r->l4 == p)
		return;
	load_meta(r, NFT_META_L4PROTO);
	cmp_u8(r, p);
	r->l4 = p;
}

/* ---- values ---- */

static struct anon *
anon_new(struct rule *r, const struct bld_key *key)
{
	struct anon *a;

	if (r->nanon == ANON_MAX)
		return NULL;
	a = &r->anon[r->nanon++];
	*a = (struct anon){ .key = *key };
	return a;
}

static int
anon_add(struct anon *a, const struct bld_range *x, bool one)
{
	if (mem_grow(&a->r, &a->cap, a->n + 1, sizeof(*a->r)) < 0)
		return -1;
	a->r[a->n++] = *x;
	a->interval |= !one;
	return 0;
}

/* one element of a set of key k at word w into x */
typedef int elem_fn(struct rule *r, const struct bld_word *w,
    struct bld_range *x, bool *one);

/* "{ A, B, ... }" (the "{" read): an anonymous set of key k looked up
 * in register 1 */
static int
anon_set(struct rule *r, const struct bld_key *k, elem_fn *elem)
{
	struct anon *a = anon_new(r, k);
	struct ex *e;

	if (a == NULL)
		return fail(r, "too many sets in one rule");
	for (;;) {
		const struct bld_word *w = word(r);
		struct bld_range x;
		bool one;

		if (w == NULL)
			return fail(r, "a set without its \"}\"");
		r->i++;
		if (elem(r, w, &x, &one) < 0)
			return bld_fail(r->b, "not an element", w);
		if (anon_add(a, &x, one) < 0)
			return bld_fail(r->b, "out of memory", NULL);
		if (next_is(r, "}"))
			break;
		if (!next_is(r, ","))
			return fail(r, "not \",\"");
	}
	if (a->n == 1 && k->type != T_IPADDR && k->type != T_IP6ADDR) {
		/* nft makes a set of one value or range a comparison */
		struct bld_range x = a->r[0];

		free(a->r);
		r->nanon--;
		if (memcmp(x.lo, x.hi, k->len) == 0) {
			cmp(r, NFT_CMP_EQ, x.lo, k->len);
		} else {
			cmp(r, NFT_CMP_GTE, x.lo, k->len);
			cmp(r, NFT_CMP_LTE, x.hi, k->len);
		}
		return 0;
	}
	e = push(r, X_LOOKUP);
	e->anon = (int)(a - r->anon);
	e->reg = 0;			/* a set: no data */
	return 0;
}

/* "@NAME": a lookup of a named set or map */
static bool
named_set(struct rule *r, uint32_t dreg)
{
	const struct bld_word *w = word(r);
	struct ex *e;

	if (w == NULL || w->q || w->n < 2 || w->s[0] != '@')
		return false;
	r->i++;
	e = push(r, X_LOOKUP);
	e->name = w;
	e->reg = dreg;
	return true;
}

static int
port_elem(struct rule *r, const struct bld_word *w, struct bld_range *x,
    bool *one)
{
	char buf[16], *dash;
	uint64_t lo, hi;
	struct bld_word p = *w;

	(void)r;
	if (bld_str(w, buf, sizeof(buf)) < 0)
		return -1;
	*x = (struct bld_range){ { 0 }, { 0 } };
	if ((dash = strchr(buf, '-')) != NULL) {
		p.n = (size_t)(dash - buf);
		if (bld_num(&p, 65535, &lo) < 0)
			return -1;
		p = (struct bld_word){ w->s + p.n + 1, w->n - p.n - 1, false };
		if (bld_num(&p, 65535, &hi) < 0 || hi < lo)
			return -1;
	} else if (bld_num(w, 65535, &lo) == 0) {
		hi = lo;
	} else {
		return -1;
	}
	x->lo[0] = (uint8_t)(lo >> 8);
	x->lo[1] = (uint8_t)lo;
	x->hi[0] = (uint8_t)(hi >> 8);
	x->hi[1] = (uint8_t)hi;
	*one = lo == hi;
	return 0;
}

/* a port, a range, or a set of them, of what is in register 1 */
static int
port_value(struct rule *r, const struct bld_key *k)
{
	const struct bld_word *w = word(r);
	struct bld_range x;
	bool one;

	if (w == NULL)
		return fail(r, "no port");
	if (next_is(r, "{"))
		return anon_set(r, k, port_elem);
	r->i++;
	if (port_elem(r, w, &x, &one) < 0)
		return bld_fail(r->b, "not a port", w);
	if (one) {
		cmp(r, NFT_CMP_EQ, x.lo, 2);
	} else {
		cmp(r, NFT_CMP_GTE, x.lo, 2);
		cmp(r, NFT_CMP_LTE, x.hi, 2);
	}
	return 0;
}

static int
addr4_elem(struct rule *r, const struct bld_word *w, struct bld_range *x,
    bool *one)
{
	(void)r;
	return bld_addr(w, AF_INET, x, one);
}

static int
addr6_elem(struct rule *r, const struct bld_word *w, struct bld_range *x,
    bool *one)
{
	(void)r;
	return bld_addr(w, AF_INET6, x, one);
}

/*
 * An address, a prefix, a set of them or a named set, matched against
 * the address at `at` (a payload at network header + off, or a ct key
 * when ct is set), as nft matches it: a prefix on whole bytes loads
 * only those bytes of a payload (a ct key loads all of it, and the
 * comparison takes those bytes), any other a mask.
 */
struct addr_src {
	int family;
	uint32_t off;			/* payload */
	uint32_t ct;			/* ct key; 0: a payload */
	struct bld_typeof t;
};

static void
addr_load(struct rule *r, const struct addr_src *s, size_t len)
{
	if (s->ct != 0) {
		struct ex *e = push(r, X_CT);

		e->key = s->ct;
		e->dir = IP_CT_DIR_ORIGINAL;
		return;
	}
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, s->off, (uint32_t)len, 0);
}

static int
addr_value(struct rule *r, const struct addr_src *s)
{
	size_t len = s->family == AF_INET ? 4 : 16;
	const struct bld_word *w = word(r);
	struct bld_key k = { .part = { s->t }, .n = 1, .len = (uint32_t)len,
	    .type = s->family == AF_INET ? T_IPADDR : T_IP6ADDR,
	    .order = ORDER_BIG };
	char buf[64];
	struct fw_prefix p;
	uint8_t mask[16] = { 0 };

	if (w == NULL)
		return fail(r, "no address");
	if (w->n > 1 && w->s[0] == '@') {
		addr_load(r, s, len);
		return named_set(r, 0) ? 0 : -1;
	}
	if (next_is(r, "{")) {
		addr_load(r, s, len);
		return anon_set(r, &k, s->family == AF_INET ? addr4_elem :
		    addr6_elem);
	}
	r->i++;
	if (bld_str(w, buf, sizeof(buf)) < 0 || fw_prefix_parse(buf,
	    &p) < 0 || p.family != s->family || p.len == 0)
		return bld_fail(r->b, "not an address", w);
	if (p.len == len * 8 || p.len % 8 == 0) {
		addr_load(r, s, s->ct != 0 ? len : p.len / 8u);
		cmp(r, NFT_CMP_EQ, p.addr, p.len / 8u);
		return 0;
	}
	addr_load(r, s, len);
	for (unsigned bit = 0; bit < p.len; bit++)
		mask[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	bitwise(r, mask, len);
	cmp(r, NFT_CMP_EQ, p.addr, len);
	return 0;
}

/* ---- statements ---- */

static const struct { const char *name; uint8_t p; } protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "esp", IPPROTO_ESP },
};

static int
proto_elem(struct rule *r, const struct bld_word *w, struct bld_range *x,
    bool *one)
{
	(void)r;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (bld_is(w, protos[i].name)) {
			*x = (struct bld_range){ { protos[i].p },
			    { protos[i].p } };
			*one = true;
			return 0;
		}
	return -1;
}

static int
ifname_elem(struct rule *r, const struct bld_word *w, struct bld_range *x,
    bool *one)
{
	(void)r;
	*x = (struct bld_range){ { 0 }, { 0 } };
	if (!w->q || w->n == 0 || w->n >= 16)
		return -1;
	memcpy(x->lo, w->s, w->n);
	memcpy(x->hi, w->s, w->n);
	*one = true;
	return 0;
}

/* iifname / oifname: "NAME" or { "A", "B" } */
static int
st_ifname(struct rule *r, uint32_t key)
{
	struct bld_key k = { .part = { { TK_META, key, 0, 0 } }, .n = 1,
	    .type = T_IFNAME, .len = 16, .order = ORDER_HOST };
	const struct bld_word *w = word(r);
	struct bld_range x;
	bool one;

	load_meta(r, key);
	if (next_is(r, "{"))
		return anon_set(r, &k, ifname_elem);
	if (w == NULL || ifname_elem(r, w, &x, &one) < 0)
		return fail(r, "not an interface name");
	r->i++;
	cmp(r, NFT_CMP_EQ, x.lo, 16);
	return 0;
}

static int
st_meta(struct rule *r)
{
	const struct bld_word *w;
	struct bld_range x;
	bool one;
	uint64_t v;

	if (next_is(r, "nfproto")) {
		uint8_t f = next_is(r, "ipv4") ? NFPROTO_IPV4 :
		    next_is(r, "ipv6") ? NFPROTO_IPV6 : 0;

		if (f == 0)
			return fail(r, "not ipv4 or ipv6");
		load_meta(r, NFT_META_NFPROTO);
		cmp_u8(r, f);
		r->nfproto = f;
		return 0;
	}
	if (next_is(r, "l4proto")) {
		struct bld_key k = { .part = { { TK_META, NFT_META_L4PROTO,
		    0, 0 } }, .n = 1, .type = T_PROTO, .len = 1,
		    .order = ORDER_HOST };

		load_meta(r, NFT_META_L4PROTO);
		if (next_is(r, "{"))
			return anon_set(r, &k, proto_elem);
		if ((w = word(r)) == NULL || proto_elem(r, w, &x, &one) < 0)
			return fail(r, "not a protocol");
		r->i++;
		cmp_u8(r, x.lo[0]);
		r->l4 = x.lo[0];
		return 0;
	}
	if (next_is(r, "mark") && next_is(r, "set") && (w = word(r)) != NULL &&
	    bld_num(w, UINT32_MAX, &v) == 0) {
		struct ex *e;
		uint32_t m = (uint32_t)v;

		r->i++;
		e = push(r, X_IMM);
		memcpy(e->v, &m, 4);
		e->vlen = 4;
		push(r, X_META_SET)->key = NFT_META_MARK;
		return 0;
	}
	return fail(r, "unknown meta statement");
}

/* ip / ip6 saddr|daddr VALUE, or the start of a concatenation */
static int st_concat(struct rule *r, int family, bool dst);

static int
st_ip(struct rule *r, int family)
{
	bool v4 = family == AF_INET, dst = next_is(r, "daddr");
	struct addr_src s = { family, 0, 0, { TK_PAYLOAD, v4 ? D_IP : D_IP6,
	    0, 0 } };

	if (!dst && !next_is(r, "saddr"))
		return fail(r, "not saddr or daddr");
	if (next_is(r, "."))
		return st_concat(r, family, dst);
	need_nfproto(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	s.off = v4 ? (dst ? 16 : 12) : (dst ? 24 : 8);
	s.t.b = v4 ? (dst ? 12 : 11) : (dst ? 9 : 8);
	return addr_value(r, &s);
}

/* tcp / udp  sport|dport */
static int
l4_port(struct rule *r, uint8_t *p, bool *dst)
{
	*p = next_is(r, "tcp") ? IPPROTO_TCP : next_is(r, "udp") ?
	    IPPROTO_UDP : 0;
	*dst = next_is(r, "dport");
	if (*p == 0 || (!*dst && !next_is(r, "sport")))
		return fail(r, "not tcp or udp sport or dport");
	return 0;
}

static int
st_port(struct rule *r)
{
	uint8_t p;
	bool dst;
	struct bld_key k = { .n = 1, .type = T_SERVICE, .len = 2,
	    .order = ORDER_BIG };

	if (l4_port(r, &p, &dst) < 0)
		return -1;
	need_l4(r, p);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, dst ? 2 : 0, 2, 0);
	k.part[0] = (struct bld_typeof){ TK_PAYLOAD, p == IPPROTO_TCP ?
	    D_TCP : D_UDP, dst ? 2 : 1, 0 };
	return port_value(r, &k);
}

/* "ip daddr . tcp dport @set" (its first part read) */
static int
st_concat(struct rule *r, int family, bool dst)
{
	bool v4 = family == AF_INET, pdst;
	uint8_t p;

	if (l4_port(r, &p, &pdst) < 0)
		return -1;
	need_nfproto(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	need_l4(r, p);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? (dst ? 16 : 12) :
	    (dst ? 24 : 8), v4 ? 4 : 16, 0);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, pdst ? 2 : 0, 2, v4 ? 1 : 4);
	if (!named_set(r, 0))
		return fail(r, "a concatenation not looked up in a set");
	return 0;
}

static int
icmp_elem(struct rule *r, const struct bld_word *w, struct bld_range *x,
    bool *one)
{
	enum fw_proto proto = r->l4 == IPPROTO_ICMP ? FW_ICMP : FW_ICMPV6;
	char buf[40];

	if (bld_str(w, buf, sizeof(buf)) < 0)
		return -1;
	for (unsigned t = 0; t < 256; t++) {
		const char *name = fw_icmp_type_name(proto, (uint16_t)t);

		if (name != NULL && strcmp(name, buf) == 0) {
			*x = (struct bld_range){ { (uint8_t)t },
			    { (uint8_t)t } };
			*one = true;
			return 0;
		}
	}
	return -1;
}

/* icmp / icmpv6 type NAME | { NAMES } */
static int
st_icmp(struct rule *r, bool v6)
{
	struct bld_key k = { .part = { { TK_PAYLOAD, v6 ? D_ICMP6 : D_ICMP,
	    1, 0 } }, .n = 1, .type = v6 ? T_ICMP6 : T_ICMP, .len = 1,
	    .order = ORDER_BIG };
	const struct bld_word *w;
	struct bld_range x;
	bool one;

	if (!next_is(r, "type"))
		return fail(r, "not type");
	need_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	need_l4(r, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, 0);
	if (next_is(r, "{"))
		return anon_set(r, &k, icmp_elem);
	if ((w = word(r)) == NULL || icmp_elem(r, w, &x, &one) < 0)
		return fail(r, "not an icmp type");
	r->i++;
	cmp_u8(r, x.lo[0]);
	return 0;
}

/* ---- ct ---- */

static void
load_ct(struct rule *r, uint32_t key, int dir)
{
	struct ex *e = push(r, X_CT);

	e->key = key;
	e->dir = dir;
}

static const struct { const char *name; uint32_t bit; } states[] = {
	{ "invalid", 1 }, { "established", 2 }, { "related", 4 },
	{ "new", 8 }, { "untracked", 64 },
};

/* "established,related": the bits */
static int
ct_states(struct rule *r, uint32_t *bits)
{
	*bits = 0;
	do {
		size_t k;

		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			if (next_is(r, states[k].name))
				break;
		if (k == sizeof(states) / sizeof(states[0]))
			return fail(r, "not a connection state");
		*bits |= states[k].bit;
	} while (next_is(r, ","));
	return 0;
}

/* ct mark V | and M == V | set V */
static int
ct_mark(struct rule *r)
{
	const struct bld_word *w;
	uint64_t v, m = 0;
	bool set = next_is(r, "set"), and = !set && next_is(r, "and");
	struct ex *e;
	uint32_t u;

	if (and && ((w = word(r)) == NULL || bld_num(w, UINT32_MAX, &m) < 0 ||
	    (r->i++, !next_is(r, "=="))))
		return fail(r, "not \"and MASK ==\"");
	if ((w = word(r)) == NULL || bld_num(w, UINT32_MAX, &v) < 0)
		return fail(r, "not a mark");
	r->i++;
	if (set) {
		e = push(r, X_IMM);
		u = (uint32_t)v;
		memcpy(e->v, &u, 4);
		e->vlen = 4;
		push(r, X_CT_SET)->key = NFT_CT_MARK;
		return 0;
	}
	load_ct(r, NFT_CT_MARK, -1);
	if (and) {
		u = (uint32_t)m;
		bitwise(r, &u, 4);
	}
	cmp_host32(r, NFT_CMP_EQ, (uint32_t)v);
	return 0;
}

/* ct original ip|ip6 daddr VALUE | proto-dst PORTS */
static int
ct_original(struct rule *r)
{
	bool v4 = next_is(r, "ip");

	if (!v4 && !next_is(r, "ip6")) {
		struct bld_key k = { .part = { { TK_CT, NFT_CT_PROTO_DST,
		    IP_CT_DIR_ORIGINAL, 0 } }, .n = 1, .type = T_SERVICE,
		    .len = 2, .order = ORDER_BIG };

		if (!next_is(r, "proto-dst"))
			return fail(r, "not ip, ip6 or proto-dst");
		load_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);
		return port_value(r, &k);
	}
	if (!next_is(r, "daddr"))
		return fail(r, "not daddr");
	{
		uint32_t key = v4 ? NFT_CT_DST_IP : NFT_CT_DST_IP6;
		struct addr_src s = { v4 ? AF_INET : AF_INET6, 0, key,
		    { TK_CT, key, IP_CT_DIR_ORIGINAL, 0 } };

		return addr_value(r, &s);
	}
}

static int
st_ct(struct rule *r)
{
	uint32_t bits;

	if (next_is(r, "state")) {
		bool neq = next_is(r, "!=");

		if (ct_states(r, &bits) < 0)
			return -1;
		load_ct(r, NFT_CT_STATE, -1);
		if (neq) {
			cmp_host32(r, NFT_CMP_NEQ, bits);
			return 0;
		}
		bitwise(r, &bits, 4);
		cmp_host32(r, NFT_CMP_NEQ, 0);
		return 0;
	}
	if (next_is(r, "status")) {
		if (!next_is(r, "dnat"))
			return fail(r, "not dnat");
		bits = IPS_DST_NAT;
		load_ct(r, NFT_CT_STATUS, -1);
		bitwise(r, &bits, 4);
		cmp_host32(r, NFT_CMP_NEQ, 0);
		return 0;
	}
	if (next_is(r, "mark"))
		return ct_mark(r);
	if (next_is(r, "original"))
		return ct_original(r);
	return fail(r, "unknown ct statement");
}

/* ---- what is done ---- */

static int
st_verdict(struct rule *r, uint32_t code)
{
	struct ex *e = push(r, X_VERDICT);

	e->key = code;
	if (code == (uint32_t)NFT_JUMP) {
		if (word(r) == NULL || word(r)->q)
			return fail(r, "no chain to jump to");
		e->name = word(r);
		r->i++;
	}
	return 0;
}

static int
st_counter(struct rule *r)
{
	const struct bld_word *w;

	if (!next_is(r, "name") || (w = word(r)) == NULL || !w->q)
		return fail(r, "not a named counter");
	r->i++;
	push(r, X_OBJREF)->name = w;
	return 0;
}

/* limit rate N/second burst B packets */
static int
st_limit(struct rule *r)
{
	const struct bld_word *w;
	struct bld_word n;
	uint64_t rate, burst;
	struct ex *e;

	if (!next_is(r, "rate") || (w = word(r)) == NULL || w->n < 8 ||
	    memcmp(w->s + w->n - 7, "/second", 7) != 0)
		return fail(r, "not \"rate N/second\"");
	n = (struct bld_word){ w->s, w->n - 7, false };
	if (bld_num(&n, UINT32_MAX, &rate) < 0)
		return fail(r, "not a rate");
	r->i++;
	if (!next_is(r, "burst") || (w = word(r)) == NULL ||
	    bld_num(w, UINT32_MAX, &burst) < 0 || (r->i++,
	    !next_is(r, "packets")))
		return fail(r, "not \"burst N packets\"");
	e = push(r, X_LIMIT);
	e->a = (uint32_t)rate;
	e->b = (uint32_t)burst;
	return 0;
}

static int
st_log(struct rule *r)
{
	const struct bld_word *w;

	if (!next_is(r, "prefix") || (w = word(r)) == NULL || !w->q)
		return fail(r, "not \"prefix TEXT\"");
	r->i++;
	if (!next_is(r, "level") || !next_is(r, "info"))
		return fail(r, "not \"level info\"");
	push(r, X_LOG)->name = w;
	return 0;
}

static int
st_reject(struct rule *r)
{
	struct ex *e;

	if (!next_is(r, "with"))
		return fail(r, "not \"with\"");
	e = push(r, X_REJECT);
	if (next_is(r, "tcp") && next_is(r, "reset")) {
		e->key = NFT_REJECT_TCP_RST;
		return 0;
	}
	if (!next_is(r, "icmpx"))
		return fail(r, "not tcp reset or icmpx");
	e->key = NFT_REJECT_ICMPX_UNREACH;
	if (next_is(r, "admin-prohibited"))
		e->a = NFT_REJECT_ICMPX_ADMIN_PROHIBITED;
	else if (next_is(r, "port-unreachable"))
		e->a = NFT_REJECT_ICMPX_PORT_UNREACH;
	else
		return fail(r, "unknown icmpx code");
	return 0;
}

static int
st_socket(struct rule *r)
{
	struct ex *e;

	if (!next_is(r, "transparent") || !next_is(r, "1"))
		return fail(r, "not \"transparent 1\"");
	e = push(r, X_SOCKET);
	e->key = NFT_SOCKET_TRANSPARENT;
	cmp_u8(r, 1);
	return 0;
}

/* ---- NAT ---- */

static void
imm_bytes(struct rule *r, unsigned slot, const void *v, size_t len)
{
	struct ex *e = push(r, X_IMM);

	e->reg = reg_of(slot);
	memcpy(e->v, v, len);
	e->vlen = (uint8_t)len;
}

/* "numgen inc mod N" | "jhash ip|ip6 saddr mod N seed X", then
 * "map @NAME": the map's data (address . port) into slots 0 and on */
static int
nat_map(struct rule *r, struct ex *nat, bool v4)
{
	uint64_t mod, seed = 0;
	const struct bld_word *w;
	bool hash = next_is(r, "jhash");
	struct ex *e;

	if (!hash && (!next_is(r, "numgen") || !next_is(r, "inc")))
		return fail(r, "not numgen inc or jhash");
	if (hash) {
		bool h4 = next_is(r, "ip");

		if ((!h4 && !next_is(r, "ip6")) || !next_is(r, "saddr"))
			return fail(r, "not \"jhash ip saddr\"");
		need_nfproto(r, h4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, h4 ? 12 : 8, h4 ? 4 :
		    16, 4);
	}
	if (!next_is(r, "mod") || (w = word(r)) == NULL ||
	    bld_num(w, UINT32_MAX, &mod) < 0 || mod == 0)
		return fail(r, "not \"mod N\"");
	r->i++;
	if (hash && (!next_is(r, "seed") || (w = word(r)) == NULL ||
	    bld_num(w, UINT32_MAX, &seed) < 0 || (r->i++, false)))
		return fail(r, "not \"seed N\"");
	e = push(r, hash ? X_HASH : X_NUMGEN);
	e->a = (uint32_t)mod;
	e->b = (uint32_t)seed;
	e->sreg = reg_of(4);
	e->c = r->nfproto == NFPROTO_IPV4 ? 4 : 16;
	if (!next_is(r, "map") || !named_set(r, NFT_REG_1))
		return fail(r, "not \"map @NAME\"");
	nat->reg = NFT_REG_1;
	nat->c = reg_of(v4 ? 1 : 4);
	return 0;
}

/* ADDR | ADDR:PORT | [ADDR6]:PORT | LO-HI */
static int
nat_to(struct rule *r, struct ex *nat, int family)
{
	const struct bld_word *w = word(r);
	char buf[100], *colon = NULL, *a = buf;
	size_t len = family == AF_INET ? 4 : 16;
	struct bld_range x;
	struct bld_word aw;
	bool one;

	if (w == NULL || w->q || bld_str(w, buf, sizeof(buf)) < 0)
		return fail(r, "no address");
	r->i++;
	if (family == AF_INET6 && buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL || close[1] != ':')
			return bld_fail(r->b, "not [ADDRESS]:PORT", w);
		*close = '\0';
		a = buf + 1;
		colon = close + 1;
	} else if (family == AF_INET) {
		colon = strchr(buf, ':');
	}
	if (colon != NULL)
		*colon = '\0';
	aw = (struct bld_word){ a, strlen(a), false };
	if (bld_addr(&aw, family, &x, &one) < 0)
		return bld_fail(r->b, "not an address", w);
	imm_bytes(r, 0, x.lo, len);
	nat->reg = NFT_REG_1;
	if (!one && memchr(a, '-', strlen(a)) != NULL) {
		imm_bytes(r, 4, x.hi, len);
		nat->b = reg_of(4);
	} else if (!one) {
		return bld_fail(r->b, "not an address", w);
	}
	if (colon != NULL) {
		struct bld_word pw = { colon + 1, strlen(colon + 1), false };
		uint64_t port;
		uint8_t p[2];

		if (bld_num(&pw, 65535, &port) < 0)
			return bld_fail(r->b, "not a port", w);
		p[0] = (uint8_t)(port >> 8);
		p[1] = (uint8_t)port;
		imm_bytes(r, 4, p, 2);
		nat->c = reg_of(4);
		nat->d = NF_NAT_RANGE_PROTO_SPECIFIED;
	}
	return 0;
}

static int
st_nat(struct rule *r, uint32_t type)
{
	bool v4 = next_is(r, "ip");
	struct ex nat = { .k = X_NAT, .key = type, .dir = -1, .anon = -1 };
	size_t at;

	if ((!v4 && !next_is(r, "ip6")) || !next_is(r, "to"))
		return fail(r, "not \"ip to\" or \"ip6 to\"");
	nat.a = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	at = r->nex;
	if ((word(r) != NULL && (bld_is(word(r), "numgen") ||
	    bld_is(word(r), "jhash")) ? nat_map(r, &nat, v4) :
	    nat_to(r, &nat, v4 ? AF_INET : AF_INET6)) < 0)
		return -1;
	(void)at;
	*push(r, X_NAT) = nat;
	return 0;
}

/* ---- a line ---- */

static int
statement(struct rule *r)
{
	static const struct { const char *w; uint32_t code; } verdicts[] = {
		{ "accept", NF_ACCEPT }, { "drop", NF_DROP },
		{ "return", (uint32_t)NFT_RETURN },
		{ "jump", (uint32_t)NFT_JUMP },
	};
	const struct bld_word *w = word(r);

	if (bld_is(w, "iifname") || bld_is(w, "oifname")) {
		r->i++;
		return st_ifname(r, bld_is(w, "iifname") ? NFT_META_IIFNAME :
		    NFT_META_OIFNAME);
	}
	if (bld_is(w, "tcp") || bld_is(w, "udp"))
		return st_port(r);
	r->i++;
	for (size_t k = 0; k < sizeof(verdicts) / sizeof(verdicts[0]); k++)
		if (bld_is(w, verdicts[k].w))
			return st_verdict(r, verdicts[k].code);
	if (bld_is(w, "meta"))
		return st_meta(r);
	if (bld_is(w, "ip") || bld_is(w, "ip6"))
		return st_ip(r, bld_is(w, "ip") ? AF_INET : AF_INET6);
	if (bld_is(w, "icmp") || bld_is(w, "icmpv6"))
		return st_icmp(r, bld_is(w, "icmpv6"));
	if (bld_is(w, "ct"))
		return st_ct(r);
	if (bld_is(w, "counter"))
		return st_counter(r);
	if (bld_is(w, "limit"))
		return st_limit(r);
	if (bld_is(w, "log"))
		return st_log(r);
	if (bld_is(w, "reject"))
		return st_reject(r);
	if (bld_is(w, "dnat") || bld_is(w, "snat"))
		return st_nat(r, bld_is(w, "dnat") ? NFT_NAT_DNAT :
		    NFT_NAT_SNAT);
	if (bld_is(w, "masquerade")) {
		push(r, X_MASQ);
		return 0;
	}
	if (bld_is(w, "socket"))
		return st_socket(r);
	if (bld_is(w, "comment") && word(r) != NULL && word(r)->q &&
	    r->i + 1 == r->n) {
		r->comment = word(r);
		r->i++;
		return 0;
	}
	r->i--;
	return fail(r, "a statement the builder does not know");
}

/* ---- typeof (sets and maps) ---- */

/* "numgen inc mod N", "ip daddr", "ip daddr . tcp dport" */
int bld_typeof_key(struct bld *b, const struct bld_line *l, size_t *i,
    struct bld_key *k);

int
bld_typeof_key(struct bld *b, const struct bld_line *l, size_t *i,
    struct bld_key *k)
{
	struct rule r = { .b = b, .w = l->w, .n = l->n, .i = *i };
	uint64_t mod;

	*k = (struct bld_key){ .n = 0 };
	if (next_is(&r, "numgen")) {
		if (!next_is(&r, "inc") || !next_is(&r, "mod") ||
		    word(&r) == NULL || bld_num(word(&r), UINT32_MAX,
		    &mod) < 0)
			return fail(&r, "not \"numgen inc mod N\"");
		r.i++;
		*k = (struct bld_key){ .part = { { TK_NUMGEN,
		    NFT_NG_INCREMENTAL, (uint32_t)mod, 0 } }, .n = 1,
		    .type = T_INTEGER, .len = 4, .order = ORDER_HOST };
		*i = r.i;
		return 0;
	}
	for (;;) {
		bool v4 = next_is(&r, "ip"), dst;
		uint8_t p;

		if (k->n + 2 > BLD_CONCAT_MAX || (!v4 && !next_is(&r, "ip6")))
			return fail(&r, "not ip or ip6");
		dst = next_is(&r, "daddr");
		if (!dst && !next_is(&r, "saddr"))
			return fail(&r, "not saddr or daddr");
		k->part[k->n++] = (struct bld_typeof){ TK_PAYLOAD, v4 ? D_IP :
		    D_IP6, v4 ? (dst ? 12u : 11u) : (dst ? 9u : 8u), 0 };
		k->type = v4 ? T_IPADDR : T_IP6ADDR;
		k->len = v4 ? 4 : 16;
		k->order = ORDER_BIG;
		if (!next_is(&r, "."))
			break;
		if (l4_port(&r, &p, &dst) < 0)
			return -1;
		k->part[k->n++] = (struct bld_typeof){ TK_PAYLOAD,
		    p == IPPROTO_TCP ? D_TCP : D_UDP, dst ? 2 : 1, 0 };
		k->type = (k->type << 6) | T_SERVICE;
		k->len += 4;
		break;
	}
	*i = r.i;
	return 0;
}

/* ---- sending ---- */

static void
data_value(struct fw_nl *nl, uint16_t type, const void *v, size_t len)
{
	size_t d = fw_nl_nest_start(nl, type);

	fw_nl_attr(nl, NFTA_DATA_VALUE, v, len);
	fw_nl_nest_end(nl, d);
}

static void
put_u8(struct fw_nl *nl, uint16_t type, uint8_t v)
{
	fw_nl_attr(nl, type, &v, 1);
}

static void
put_u64(struct fw_nl *nl, uint16_t type, uint64_t v)
{
	uint64_t be = htobe64(v);

	fw_nl_attr(nl, type, &be, sizeof(be));
}

/* a word's text as a string attribute (a set's name without its @) */
static void
put_word(struct fw_nl *nl, uint16_t type, const struct bld_word *w,
    bool at)
{
	char buf[256];
	size_t skip = at && w->n > 0 && w->s[0] == '@';

	snprintf(buf, sizeof(buf), "%.*s", (int)(w->n - skip), w->s + skip);
	fw_nl_attr_str(nl, type, buf);
}

static const char *const ex_name[] = {
	[X_META] = "meta", [X_META_SET] = "meta", [X_CMP] = "cmp",
	[X_PAYLOAD] = "payload", [X_BITWISE] = "bitwise",
	[X_LOOKUP] = "lookup", [X_IMM] = "immediate",
	[X_VERDICT] = "immediate", [X_OBJREF] = "objref", [X_CT] = "ct",
	[X_CT_SET] = "ct", [X_LIMIT] = "limit", [X_LOG] = "log",
	[X_REJECT] = "reject", [X_NAT] = "nat", [X_MASQ] = "masq",
	[X_NUMGEN] = "numgen", [X_HASH] = "hash", [X_SOCKET] = "socket",
};

static void
ex_match(struct fw_nl *nl, const struct ex *e, const struct rule *r)
{
	switch (e->k) {
	case X_META:
		bld_put_u32(nl, NFTA_META_KEY, e->key);
		bld_put_u32(nl, NFTA_META_DREG, e->reg);
		break;
	case X_META_SET:
		bld_put_u32(nl, NFTA_META_KEY, e->key);
		bld_put_u32(nl, NFTA_META_SREG, e->sreg);
		break;
	case X_CMP:
		bld_put_u32(nl, NFTA_CMP_SREG, e->sreg);
		bld_put_u32(nl, NFTA_CMP_OP, e->key);
		data_value(nl, NFTA_CMP_DATA, e->v, e->vlen);
		break;
	case X_PAYLOAD:
		bld_put_u32(nl, NFTA_PAYLOAD_DREG, e->reg);
		bld_put_u32(nl, NFTA_PAYLOAD_BASE, e->a);
		bld_put_u32(nl, NFTA_PAYLOAD_OFFSET, e->b);
		bld_put_u32(nl, NFTA_PAYLOAD_LEN, e->c);
		break;
	case X_BITWISE: {
		static const uint8_t zero[16];

		bld_put_u32(nl, NFTA_BITWISE_SREG, e->sreg);
		bld_put_u32(nl, NFTA_BITWISE_DREG, e->reg);
		bld_put_u32(nl, NFTA_BITWISE_LEN, e->vlen);
		data_value(nl, NFTA_BITWISE_MASK, e->m, e->vlen);
		data_value(nl, NFTA_BITWISE_XOR, zero, e->vlen);
		break;
	}
	case X_LOOKUP:
		if (e->anon >= 0) {
			fw_nl_attr_str(nl, NFTA_LOOKUP_SET, "__set%d");
			bld_put_u32(nl, NFTA_LOOKUP_SET_ID,
			    r->anon[e->anon].id);
		} else {
			put_word(nl, NFTA_LOOKUP_SET, e->name, true);
		}
		bld_put_u32(nl, NFTA_LOOKUP_SREG, e->sreg);
		if (e->reg != 0)
			bld_put_u32(nl, NFTA_LOOKUP_DREG, e->reg);
		break;
	case X_CT:
		bld_put_u32(nl, NFTA_CT_KEY, e->key);
		bld_put_u32(nl, NFTA_CT_DREG, e->reg);
		if (e->dir >= 0)
			put_u8(nl, NFTA_CT_DIRECTION, (uint8_t)e->dir);
		break;
	case X_CT_SET:
		bld_put_u32(nl, NFTA_CT_KEY, e->key);
		bld_put_u32(nl, NFTA_CT_SREG, e->sreg);
		break;
	default:
		break;
	}
}

static void
ex_action(struct fw_nl *nl, const struct ex *e)
{
	size_t v, d;

	switch (e->k) {
	case X_IMM:
		bld_put_u32(nl, NFTA_IMMEDIATE_DREG, e->reg);
		data_value(nl, NFTA_IMMEDIATE_DATA, e->v, e->vlen);
		break;
	case X_VERDICT:
		bld_put_u32(nl, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
		d = fw_nl_nest_start(nl, NFTA_IMMEDIATE_DATA);
		v = fw_nl_nest_start(nl, NFTA_DATA_VERDICT);
		bld_put_u32(nl, NFTA_VERDICT_CODE, e->key);
		if (e->name != NULL)
			put_word(nl, NFTA_VERDICT_CHAIN, e->name, false);
		fw_nl_nest_end(nl, v);
		fw_nl_nest_end(nl, d);
		break;
	case X_OBJREF:
		bld_put_u32(nl, NFTA_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
		put_word(nl, NFTA_OBJREF_IMM_NAME, e->name, false);
		break;
	case X_LIMIT:
		put_u64(nl, NFTA_LIMIT_RATE, e->a);
		put_u64(nl, NFTA_LIMIT_UNIT, 1);
		bld_put_u32(nl, NFTA_LIMIT_BURST, e->b);
		bld_put_u32(nl, NFTA_LIMIT_TYPE, NFT_LIMIT_PKTS);
		bld_put_u32(nl, NFTA_LIMIT_FLAGS, 0);
		break;
	case X_LOG:
		put_word(nl, NFTA_LOG_PREFIX, e->name, false);
		bld_put_u32(nl, NFTA_LOG_LEVEL, 6);	/* info */
		break;
	case X_REJECT:
		bld_put_u32(nl, NFTA_REJECT_TYPE, e->key);
		if (e->key == NFT_REJECT_ICMPX_UNREACH)
			put_u8(nl, NFTA_REJECT_ICMP_CODE, (uint8_t)e->a);
		break;
	default:
		break;
	}
}

static void
ex_other(struct fw_nl *nl, const struct ex *e)
{
	switch (e->k) {
	case X_NAT:
		bld_put_u32(nl, NFTA_NAT_TYPE, e->key);
		bld_put_u32(nl, NFTA_NAT_FAMILY, e->a);
		bld_put_u32(nl, NFTA_NAT_REG_ADDR_MIN, e->reg);
		if (e->b != 0)
			bld_put_u32(nl, NFTA_NAT_REG_ADDR_MAX, e->b);
		if (e->c != 0)
			bld_put_u32(nl, NFTA_NAT_REG_PROTO_MIN, e->c);
		if (e->d != 0)
			bld_put_u32(nl, NFTA_NAT_FLAGS, e->d);
		break;
	case X_NUMGEN:
		bld_put_u32(nl, NFTA_NG_DREG, e->reg);
		bld_put_u32(nl, NFTA_NG_MODULUS, e->a);
		bld_put_u32(nl, NFTA_NG_TYPE, NFT_NG_INCREMENTAL);
		bld_put_u32(nl, NFTA_NG_OFFSET, 0);
		break;
	case X_HASH:
		bld_put_u32(nl, NFTA_HASH_SREG, e->sreg);
		bld_put_u32(nl, NFTA_HASH_DREG, e->reg);
		bld_put_u32(nl, NFTA_HASH_LEN, e->c);
		bld_put_u32(nl, NFTA_HASH_MODULUS, e->a);
		bld_put_u32(nl, NFTA_HASH_SEED, e->b);
		bld_put_u32(nl, NFTA_HASH_OFFSET, 0);
		bld_put_u32(nl, NFTA_HASH_TYPE, NFT_HASH_JENKINS);
		break;
	case X_SOCKET:
		bld_put_u32(nl, NFTA_SOCKET_KEY, e->key);
		bld_put_u32(nl, NFTA_SOCKET_DREG, e->reg);
		break;
	default:
		break;
	}
}

/* an anonymous set and its elements, before the rule that uses it */
static void
send_anon(struct bld *b, struct anon *a)
{
	struct bld_elems e = { .len = a->key.len };
	struct bld_ud u = { .n = 0 };
	size_t off, desc;

	if (a->interval)
		bld_intervals(&e, a->r, a->n, true);
	else
		for (size_t i = 0; i < a->n; i++)
			bld_elems_push(&e, a->r[i].lo, 0);
	a->id = ++b->set_id;
	off = bld_change(b, NFT_MSG_NEWSET, NLM_F_CREATE, "a set in braces");
	fw_nl_attr_str(b->nl, NFTA_SET_TABLE, fw_nl_table(b->nl));
	fw_nl_attr_str(b->nl, NFTA_SET_NAME, "__set%d");
	bld_put_u32(b->nl, NFTA_SET_FLAGS, NFT_SET_ANONYMOUS |
	    NFT_SET_CONSTANT | (a->interval ? NFT_SET_INTERVAL : 0));
	bld_put_u32(b->nl, NFTA_SET_KEY_TYPE, a->key.type);
	bld_put_u32(b->nl, NFTA_SET_KEY_LEN, a->key.len);
	bld_put_u32(b->nl, NFTA_SET_ID, a->id);
	desc = fw_nl_nest_start(b->nl, NFTA_SET_DESC);
	bld_put_u32(b->nl, NFTA_SET_DESC_SIZE, (uint32_t)e.n);
	fw_nl_nest_end(b->nl, desc);
	bld_ud_u32(&u, 0, a->key.order);
	if (a->interval)
		bld_ud_u32(&u, 2, 1);	/* merged */
	bld_ud_typeof(&u, 3, &a->key);
	fw_nl_attr(b->nl, NFTA_SET_USERDATA, u.b, u.n);
	fw_nl_msg_end(b->nl, off);
	bld_elems_send(b, "__set%d", a->id, &e);
	bld_elems_free(&e);
}

static void
send_rule(struct bld *b, struct rule *r, const char *chain)
{
	char what[96];
	size_t off, list;

	for (size_t i = 0; i < r->nanon; i++)
		send_anon(b, &r->anon[i]);
	snprintf(what, sizeof(what), "a rule of chain %s", chain);
	/* appended, or put before the rule numbered b->before */
	off = bld_change(b, NFT_MSG_NEWRULE, NLM_F_CREATE | (b->before == 0 ?
	    NLM_F_APPEND : 0), what);
	fw_nl_attr_str(b->nl, NFTA_RULE_TABLE, fw_nl_table(b->nl));
	fw_nl_attr_str(b->nl, NFTA_RULE_CHAIN, chain);
	if (b->before != 0) {
		uint64_t pos = htobe64(b->before);

		fw_nl_attr(b->nl, NFTA_RULE_POSITION, &pos, sizeof(pos));
	}
	list = fw_nl_nest_start(b->nl, NFTA_RULE_EXPRESSIONS);
	for (size_t i = 0; i < r->nex; i++) {
		const struct ex *e = &r->ex[i];
		size_t el = fw_nl_nest_start(b->nl, NFTA_LIST_ELEM), data;

		fw_nl_attr_str(b->nl, NFTA_EXPR_NAME, ex_name[e->k]);
		data = fw_nl_nest_start(b->nl, NFTA_EXPR_DATA);
		ex_match(b->nl, e, r);
		ex_action(b->nl, e);
		ex_other(b->nl, e);
		fw_nl_nest_end(b->nl, data);
		fw_nl_nest_end(b->nl, el);
	}
	fw_nl_nest_end(b->nl, list);
	if (r->comment != NULL) {
		struct bld_ud u = { .n = 0 };
		char buf[256];

		snprintf(buf, sizeof(buf), "%.*s", (int)r->comment->n,
		    r->comment->s);
		bld_ud_bytes(&u, 0, buf, strlen(buf) + 1);
		fw_nl_attr(b->nl, NFTA_RULE_USERDATA, u.b, u.n);
	}
	fw_nl_msg_end(b->nl, off);
}

int
bld_rule(struct bld *b, const char *chain)
{
	struct rule *r = calloc(1, sizeof(*r));
	int rc = 0;

	if (r == NULL)
		return bld_fail(b, "out of memory", NULL);
	r->b = b;
	r->w = b->line->w;
	r->n = b->line->n;
	while (rc == 0 && r->i < r->n)
		rc = statement(r);
	if (rc == 0 && r->full)
		rc = bld_fail(b, "too many expressions in one rule", NULL);
	if (rc == 0)
		send_rule(b, r, chain);
	for (size_t i = 0; i < r->nanon; i++)
		free(r->anon[i].r);
	free(r);
	return rc;
}
