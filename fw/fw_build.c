/*
 * fw/fw_build.c - the table's text built into nfnetlink messages: the
 * table, its counters, sets and maps (their elements too) and chains,
 * line by line (see fw_build.h).  A rule's statements are
 * fw_build_rule.c's.
 *
 * The batch, as nft sends it for `table inet edged` + `delete table
 * inet edged` + the table: NEWTABLE (a no-op when it is there), DELTABLE,
 * NEWTABLE, every chain (so that a jump may name one written later),
 * then the counters, sets and rules in the order of the text.  Sets are
 * numbered (NFTA_SET_ID) from 1 in that order, anonymous ones included,
 * and carry the user data nft would give them, which is what `nft list`
 * prints their types from.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* after the libc's: linux/netfilter.h would define in_addr again */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "fw_build.h"
#include "fw_build_int.h"
#include "fw_conf.h"
#include "fw_netlink.h"
#include "fw_nlmsg.h"
#include "mem.h"

#define MSG(t)	((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (t)))
#define ELEMS_PER_MSG	1024	/* 36 bytes each at most: within 64 KiB */

/* ---- words ---- */

static bool
is_mark(char c)
{
	return c == '{' || c == '}' || c == ',' || c == ';';
}

int
bld_split(const char *s, size_t n, struct bld_line *l)
{
	size_t i = 0;

	l->n = 0;
	while (i < n) {
		struct bld_word *w;
		size_t j;

		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		if (l->n == BLD_WORDS_MAX)
			return -1;
		w = &l->w[l->n++];
		if (s[i] == '"') {
			const char *end = memchr(s + i + 1, '"', n - i - 1);

			if (end == NULL)
				return -1;
			*w = (struct bld_word){ s + i + 1,
			    (size_t)(end - s - i - 1), true };
			i = (size_t)(end - s) + 1;
			continue;
		}
		if (is_mark(s[i])) {
			*w = (struct bld_word){ s + i, 1, false };
			i++;
			continue;
		}
		for (j = i; j < n && s[j] != ' ' && s[j] != '\t' &&
		    s[j] != '"' && !is_mark(s[j]); j++)
			;
		*w = (struct bld_word){ s + i, j - i, false };
		i = j;
	}
	return 0;
}

bool
bld_is(const struct bld_word *w, const char *s)
{
	return !w->q && strlen(s) == w->n && memcmp(w->s, s, w->n) == 0;
}

int
bld_str(const struct bld_word *w, char *buf, size_t size)
{
	if (w->n >= size)
		return -1;
	memcpy(buf, w->s, w->n);
	buf[w->n] = '\0';
	return 0;
}

int
bld_num(const struct bld_word *w, uint64_t max, uint64_t *v)
{
	char buf[24], *end;
	unsigned long long x;

	if (w->q || bld_str(w, buf, sizeof(buf)) < 0 || buf[0] < '0' ||
	    buf[0] > '9')
		return -1;
	x = strtoull(buf, &end, 0);
	if (*end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

int
bld_fail(struct bld *b, const char *why, const struct bld_word *w)
{
	if (b->line == NULL)
		snprintf(b->err, b->errsize, "%s", why);
	else if (w != NULL)
		snprintf(b->err, b->errsize, "line %u: %s at \"%.*s\"",
		    b->line->no, why, (int)(w->n < 40 ? w->n : 40), w->s);
	else
		snprintf(b->err, b->errsize, "line %u: %s", b->line->no, why);
	return -1;
}

/* ---- user data ---- */

void
bld_ud_bytes(struct bld_ud *u, uint8_t type, const void *p, size_t n)
{
	if (u->over || n > 255 || u->n + 2 + n > sizeof(u->b)) {
		u->over = true;
		return;
	}
	u->b[u->n++] = type;
	u->b[u->n++] = (uint8_t)n;
	if (n > 0)
		memcpy(u->b + u->n, p, n);
	u->n += n;
}

void
bld_ud_u32(struct bld_ud *u, uint8_t type, uint32_t v)
{
	bld_ud_bytes(u, type, &v, sizeof(v));	/* nft's: host order */
}

size_t
bld_ud_nest(struct bld_ud *u, uint8_t type)
{
	size_t at = u->n;

	bld_ud_bytes(u, type, NULL, 0);
	return at;
}

void
bld_ud_end(struct bld_ud *u, size_t at)
{
	if (!u->over)
		u->b[at + 1] = (uint8_t)(u->n - at - 2);
}

/* nft's expression numbers, and its typeof notes' attributes */
enum { EXPR_PAYLOAD = 7, EXPR_META = 9, EXPR_CT = 12, EXPR_CONCAT = 13,
    EXPR_NUMGEN = 23 };
enum { TYPEOF_EXPR, TYPEOF_DATA };

static void
typeof_one(struct bld_ud *u, const struct bld_typeof *t)
{
	static const uint32_t expr[] = { [TK_PAYLOAD] = EXPR_PAYLOAD,
	    [TK_META] = EXPR_META, [TK_CT] = EXPR_CT,
	    [TK_NUMGEN] = EXPR_NUMGEN };
	size_t d;

	bld_ud_u32(u, TYPEOF_EXPR, expr[t->k]);
	d = bld_ud_nest(u, TYPEOF_DATA);
	bld_ud_u32(u, 0, t->a);
	if (t->k == TK_PAYLOAD || t->k == TK_CT || t->k == TK_NUMGEN)
		bld_ud_u32(u, 1, t->b);
	if (t->k == TK_NUMGEN)
		bld_ud_u32(u, 2, t->c);
	bld_ud_end(u, d);
}

void
bld_ud_typeof(struct bld_ud *u, uint8_t type, const struct bld_key *k)
{
	size_t top = bld_ud_nest(u, type), d;

	if (k->n == 1) {
		typeof_one(u, &k->part[0]);
		bld_ud_end(u, top);
		return;
	}
	bld_ud_u32(u, TYPEOF_EXPR, EXPR_CONCAT);
	d = bld_ud_nest(u, TYPEOF_DATA);
	for (size_t i = 0; i < k->n; i++) {
		size_t sub = bld_ud_nest(u, (uint8_t)i);

		typeof_one(u, &k->part[i]);
		bld_ud_end(u, sub);
	}
	bld_ud_end(u, d);
	bld_ud_end(u, top);
}

void
bld_put_u32(struct fw_nl *nl, uint16_t type, uint32_t v)
{
	v = htonl(v);
	fw_nl_attr(nl, type, &v, sizeof(v));
}

/* ---- the state ---- */

struct fw_build_state *
fw_build_state_new(void)
{
	return calloc(1, sizeof(struct fw_build_state));
}

static void
state_clear(struct fw_build_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->c[i].h);
	free(st->c);
	free(st->made);
	*st = (struct fw_build_state){ .known = false };
}

void
fw_build_state_free(struct fw_build_state **st)
{
	if (*st == NULL)
		return;
	state_clear(*st);
	free(*st);
	*st = NULL;
}

void
fw_build_forget(struct fw_build_state *st)
{
	state_clear(st);
}

bool
fw_build_made(const struct fw_build_state *st, const char *set)
{
	for (size_t i = 0; i < st->nmade; i++)
		if (strcmp(st->made[i], set) == 0)
			return true;
	return false;
}

struct bld_chain *
bld_chain_find(struct fw_build_state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->c[i].name, name) == 0)
			return &st->c[i];
	return NULL;
}

struct bld_chain *
bld_chain_add(struct fw_build_state *st, const char *name)
{
	struct bld_chain *c;

	if (mem_grow(&st->c, &st->cap, st->n + 1, sizeof(*st->c)) < 0) {
		st->oom = true;
		return NULL;
	}
	c = &st->c[st->n++];
	*c = (struct bld_chain){ .n = 0 };
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

void
bld_chain_push(struct fw_build_state *st, struct bld_chain *c, uint64_t h)
{
	if (c == NULL || mem_grow(&c->h, &c->cap, c->n + 1,
	    sizeof(*c->h)) < 0) {
		st->oom = true;
		return;
	}
	c->h[c->n++] = h;
}

static void
made_push(struct fw_build_state *st, const char *set)
{
	if (mem_grow(&st->made, &st->madecap, st->nmade + 1,
	    sizeof(*st->made)) < 0) {
		st->oom = true;
		return;
	}
	snprintf(st->made[st->nmade++], sizeof(*st->made), "%s", set);
}

/* ---- messages ---- */

size_t
bld_change(struct bld *b, uint16_t type, uint16_t flags, const char *what)
{
	uint32_t seq = fw_nl_next_seq(b->nl);
	size_t off = fw_nl_msg_start(b->nl, MSG(type), NLM_F_REQUEST |
	    NLM_F_ACK | flags, NFPROTO_INET, 0);

	/* what the kernel gives a handle */
	if (type == NFT_MSG_NEWCHAIN || type == NFT_MSG_NEWOBJ ||
	    type == NFT_MSG_NEWSET || type == NFT_MSG_NEWRULE)
		b->st->last++;
	if (type == NFT_MSG_NEWRULE)
		b->rule = b->st->last;

	(void)fw_nl_note(b->nl, seq, what, b->line != NULL ? b->line->no :
	    0, true);
	return off;
}

void
bld_elems_send(struct bld *b, const char *name, uint32_t id,
    const struct bld_elems *e)
{
	char what[96];

	snprintf(what, sizeof(what), "elements of %s", name);
	for (size_t i = 0; i < e->n; i += ELEMS_PER_MSG) {
		size_t off = bld_change(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
		    what);
		size_t list, end = i + ELEMS_PER_MSG < e->n ?
		    i + ELEMS_PER_MSG : e->n;

		fw_nl_attr_str(b->nl, NFTA_SET_ELEM_LIST_TABLE,
		    fw_nl_table(b->nl));
		fw_nl_attr_str(b->nl, NFTA_SET_ELEM_LIST_SET, name);
		if (id != 0)	/* a set of this batch */
			bld_put_u32(b->nl, NFTA_SET_ELEM_LIST_SET_ID, id);
		list = fw_nl_nest_start(b->nl, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (size_t k = i; k < end; k++) {
			size_t el = fw_nl_nest_start(b->nl, NFTA_LIST_ELEM);
			size_t key = fw_nl_nest_start(b->nl,
			    NFTA_SET_ELEM_KEY);

			fw_nl_attr(b->nl, NFTA_DATA_VALUE, e->kv + k * e->len,
			    e->len);
			fw_nl_nest_end(b->nl, key);
			if (e->flags[k] != 0)
				bld_put_u32(b->nl, NFTA_SET_ELEM_FLAGS,
				    e->flags[k]);
			fw_nl_nest_end(b->nl, el);
		}
		fw_nl_nest_end(b->nl, list);
		fw_nl_msg_end(b->nl, off);
	}
}

/* ---- elements ---- */

void
bld_elems_push(struct bld_elems *e, const uint8_t *key, uint32_t flags)
{
	if (e->oom)
		return;
	if (e->n == e->cap) {
		size_t cap = e->cap;

		/* the flags follow the keys' capacity */
		if (mem_grow(&e->kv, &cap, e->n + 1, e->len) < 0 ||
		    mem_resize(&e->flags, cap, sizeof(*e->flags)) < 0) {
			e->oom = true;
			return;
		}
		e->cap = cap;
	}
	memcpy(e->kv + e->n * e->len, key, e->len);
	e->flags[e->n++] = flags;
}

void
bld_elems_free(struct bld_elems *e)
{
	free(e->kv);
	free(e->flags);
	*e = (struct bld_elems){ .len = e->len };
}

static size_t range_len;		/* qsort's comparator's width */

static int
range_cmp(const void *a, const void *b)
{
	return memcmp(((const struct bld_range *)a)->lo,
	    ((const struct bld_range *)b)->lo, range_len);
}

/* k + 1 into next; false when k is the last key (all ones) */
static bool
key_next(const uint8_t *k, uint8_t *next, size_t len)
{
	size_t i = len;

	memcpy(next, k, len);
	while (i > 0 && ++next[i - 1] == 0)
		i--;
	return i > 0;
}

void
bld_intervals(struct bld_elems *e, struct bld_range *r, size_t n,
    bool merge)
{
	static const uint8_t zero[BLD_KEY_MAX];
	uint8_t next[BLD_KEY_MAX];
	size_t len = e->len, m = 0;

	if (merge && n > 1) {
		range_len = len;
		qsort(r, n, sizeof(*r), range_cmp);
		for (size_t i = 1; i < n; i++) {
			bool touch = key_next(r[m].hi, next, len) &&
			    memcmp(r[i].lo, next, len) <= 0;

			if (touch || memcmp(r[i].lo, r[m].hi, len) <= 0) {
				if (memcmp(r[i].hi, r[m].hi, len) > 0)
					memcpy(r[m].hi, r[i].hi, len);
			} else {
				r[++m] = r[i];
			}
		}
		n = m + 1;
	}
	if (n > 0 && memcmp(r[0].lo, zero, len) != 0)
		bld_elems_push(e, zero, NFT_SET_ELEM_INTERVAL_END);
	for (size_t i = 0; i < n; i++) {
		bld_elems_push(e, r[i].lo, 0);
		if (key_next(r[i].hi, next, len))
			bld_elems_push(e, next, NFT_SET_ELEM_INTERVAL_END);
	}
}

static int
one_addr(const char *s, int family, uint8_t *a)
{
	return inet_pton(family, s, a) == 1 ? 0 : -1;
}

int
bld_addr(const struct bld_word *w, int family, struct bld_range *r,
    bool *one)
{
	char buf[100], *dash;
	size_t len = family == AF_INET ? 4 : 16;
	struct fw_prefix p;

	*r = (struct bld_range){ { 0 }, { 0 } };
	if (w->q || bld_str(w, buf, sizeof(buf)) < 0)
		return -1;
	if ((dash = strchr(buf, '-')) != NULL) {
		*dash = '\0';
		*one = false;
		return one_addr(buf, family, r->lo) < 0 || one_addr(dash + 1,
		    family, r->hi) < 0 || memcmp(r->lo, r->hi, len) > 0 ?
		    -1 : 0;
	}
	if (fw_prefix_parse(buf, &p) < 0 || p.family != family ||
	    p.len == 0)
		return -1;
	memcpy(r->lo, p.addr, len);
	memcpy(r->hi, p.addr, len);
	for (size_t bit = p.len; bit < len * 8; bit++)
		r->hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	*one = p.len == len * 8;
	return 0;
}

static void
table_msg(struct bld *b, uint16_t type)
{
	size_t off = bld_change(b, type, type == NFT_MSG_NEWTABLE ?
	    NLM_F_CREATE : 0, "table");

	fw_nl_attr_str(b->nl, NFTA_TABLE_NAME, fw_nl_table(b->nl));
	if (type == NFT_MSG_NEWTABLE)
		bld_put_u32(b->nl, NFTA_TABLE_FLAGS, 0);
	fw_nl_msg_end(b->nl, off);
}

static void
counter_msg(struct bld *b, const char *name)
{
	char what[96];
	uint64_t zero = 0;
	size_t off, data;

	snprintf(what, sizeof(what), "counter %s", name);
	off = bld_change(b, NFT_MSG_NEWOBJ, NLM_F_CREATE, what);
	fw_nl_attr_str(b->nl, NFTA_OBJ_TABLE, fw_nl_table(b->nl));
	fw_nl_attr_str(b->nl, NFTA_OBJ_NAME, name);
	bld_put_u32(b->nl, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
	data = fw_nl_nest_start(b->nl, NFTA_OBJ_DATA);
	fw_nl_attr(b->nl, NFTA_COUNTER_BYTES, &zero, sizeof(zero));
	fw_nl_attr(b->nl, NFTA_COUNTER_PACKETS, &zero, sizeof(zero));
	fw_nl_nest_end(b->nl, data);
	fw_nl_msg_end(b->nl, off);
}

/* ---- chains ---- */

struct hook {
	const char *name;
	uint32_t num;
};

static const struct hook hooks[] = {
	{ "prerouting", NF_INET_PRE_ROUTING }, { "input", NF_INET_LOCAL_IN },
	{ "forward", NF_INET_FORWARD }, { "output", NF_INET_LOCAL_OUT },
	{ "postrouting", NF_INET_POST_ROUTING },
};

static const struct { const char *name; int prio; } prios[] = {
	{ "raw", -300 }, { "mangle", -150 }, { "dstnat", -100 },
	{ "filter", 0 }, { "security", 50 }, { "srcnat", 100 },
};

/* "filter", "filter - 1", "-100": the priority at w[0..) into *p; the
 * words it took, or 0. */
static size_t
priority(const struct bld_word *w, size_t n, int *p)
{
	char buf[16];
	uint64_t v;

	if (n > 0 && bld_str(&w[0], buf, sizeof(buf)) == 0 &&
	    (buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9'))) {
		char *end;
		long x = strtol(buf, &end, 10);

		if (*end != '\0' || x < -1000 || x > 1000)
			return 0;
		*p = (int)x;
		return 1;
	}
	for (size_t i = 0; n > 0 && i < sizeof(prios) / sizeof(prios[0]);
	    i++) {
		if (!bld_is(&w[0], prios[i].name))
			continue;
		*p = prios[i].prio;
		if (n >= 3 && (bld_is(&w[1], "-") || bld_is(&w[1], "+")) &&
		    bld_num(&w[2], 1000, &v) == 0) {
			*p += bld_is(&w[1], "-") ? -(int)v : (int)v;
			return 3;
		}
		return 1;
	}
	return 0;
}

/* "type filter hook input priority filter; policy accept;" */
static int
hook_attrs(struct bld *b, const struct bld_line *l, size_t off)
{
	const struct bld_word *w = l->w;
	size_t k, i;
	int prio;
	char type[8];

	(void)off;
	if (l->n < 8 || !bld_is(&w[2], "hook") || bld_str(&w[1], type,
	    sizeof(type)) < 0 || (strcmp(type, "filter") != 0 &&
	    strcmp(type, "nat") != 0))
		return bld_fail(b, "not a base chain's type", &w[1]);
	for (k = 0; k < sizeof(hooks) / sizeof(hooks[0]); k++)
		if (bld_is(&w[3], hooks[k].name))
			break;
	if (k == sizeof(hooks) / sizeof(hooks[0]) || !bld_is(&w[4],
	    "priority"))
		return bld_fail(b, "unknown hook", &w[3]);
	if ((i = priority(&w[5], l->n - 5, &prio)) == 0)
		return bld_fail(b, "unknown priority", &w[5]);
	i += 5;
	if (l->n != i + 4 || !bld_is(&w[i], ";") || !bld_is(&w[i + 1],
	    "policy") || !bld_is(&w[i + 2], "accept") || !bld_is(&w[i + 3],
	    ";"))
		return bld_fail(b, "not \"; policy accept;\"", &w[i]);
	{
		size_t h = fw_nl_nest_start(b->nl, NFTA_CHAIN_HOOK);

		bld_put_u32(b->nl, NFTA_HOOK_HOOKNUM, hooks[k].num);
		bld_put_u32(b->nl, NFTA_HOOK_PRIORITY, (uint32_t)prio);
		fw_nl_nest_end(b->nl, h);
	}
	bld_put_u32(b->nl, NFTA_CHAIN_POLICY, NF_ACCEPT);
	fw_nl_attr_str(b->nl, NFTA_CHAIN_TYPE, type);
	return 0;
}

/* NEWCHAIN for chain `name`; next, the line after its opening (its
 * hook, when it is a base chain). */
static int
chain_msg(struct bld *b, const char *name, const struct bld_line *next)
{
	char what[96];
	size_t off;

	snprintf(what, sizeof(what), "chain %s", name);
	(void)bld_chain_add(b->st, name);
	off = bld_change(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, what);
	fw_nl_attr_str(b->nl, NFTA_CHAIN_TABLE, fw_nl_table(b->nl));
	fw_nl_attr_str(b->nl, NFTA_CHAIN_NAME, name);
	if (next != NULL && next->n > 0 && bld_is(&next->w[0], "type")) {
		const struct bld_line *was = b->line;
		int rc;

		b->line = next;
		rc = hook_attrs(b, next, off);
		b->line = was;
		if (rc < 0)
			return -1;
	}
	fw_nl_msg_end(b->nl, off);
	return 0;
}

/* ---- sets and maps ---- */

/* A set or map being read: its declaration, then its elements. */
struct set {
	char name[80];
	bool map, interval;
	struct bld_key key, data;
	uint32_t id;
	uint8_t *kv;			/* elements: keys and flags */
	uint32_t *flags;
	size_t n, cap;
};

/* "ipv4_addr", "ipv6_addr" */
static int
set_type(struct bld *b, const struct bld_line *l, struct set *s)
{
	if (l->n == 2 && bld_is(&l->w[1], "ipv4_addr")) {
		s->key = (struct bld_key){ .n = 1, .type = 7, .len = 4,
		    .order = 2 };
	} else if (l->n == 2 && bld_is(&l->w[1], "ipv6_addr")) {
		s->key = (struct bld_key){ .n = 1, .type = 8, .len = 16,
		    .order = 2 };
	} else {
		return bld_fail(b, "unknown set type", &l->w[1]);
	}
	s->key.part[0].k = TK_NONE;
	return 0;
}

/* What fw_build_rule.c knows of a typeof expression: at w[*i..). */
int bld_typeof_key(struct bld *b, const struct bld_line *l, size_t *i,
    struct bld_key *k);

static int
set_typeof(struct bld *b, const struct bld_line *l, struct set *s)
{
	size_t i = 1;

	if (bld_typeof_key(b, l, &i, &s->key) < 0)
		return -1;
	if (s->map) {
		if (i >= l->n || !bld_is(&l->w[i], ":"))
			return bld_fail(b, "a map's typeof without \":\"",
			    i < l->n ? &l->w[i] : NULL);
		i++;
		if (bld_typeof_key(b, l, &i, &s->data) < 0)
			return -1;
	}
	if (i != l->n)
		return bld_fail(b, "unexpected", &l->w[i]);
	return 0;
}

static void
set_msg(struct bld *b, struct set *s)
{
	char what[96];
	struct bld_ud u = { .n = 0 };
	uint32_t flags = (s->interval ? NFT_SET_INTERVAL : 0) |
	    (s->map ? NFT_SET_MAP : 0);
	size_t off;

	s->id = ++b->set_id;
	made_push(b->st, s->name);
	snprintf(what, sizeof(what), "set %s", s->name);
	off = bld_change(b, NFT_MSG_NEWSET, NLM_F_CREATE, what);
	fw_nl_attr_str(b->nl, NFTA_SET_TABLE, fw_nl_table(b->nl));
	fw_nl_attr_str(b->nl, NFTA_SET_NAME, s->name);
	bld_put_u32(b->nl, NFTA_SET_FLAGS, flags);
	bld_put_u32(b->nl, NFTA_SET_KEY_TYPE, s->key.type);
	bld_put_u32(b->nl, NFTA_SET_KEY_LEN, s->key.len);
	if (s->map) {
		bld_put_u32(b->nl, NFTA_SET_DATA_TYPE, s->data.type);
		bld_put_u32(b->nl, NFTA_SET_DATA_LEN, s->data.len);
	}
	bld_put_u32(b->nl, NFTA_SET_ID, s->id);
	bld_ud_u32(&u, 0, s->key.n > 1 ? 0 : s->key.order);
	if (s->map)
		bld_ud_u32(&u, 1, s->data.n > 1 ? 0 : s->data.order);
	if (s->key.part[0].k != TK_NONE)
		bld_ud_typeof(&u, 3, &s->key);
	if (s->map) {
		bld_ud_typeof(&u, 4, &s->data);
		bld_ud_u32(&u, 6, 0);
	}
	fw_nl_attr(b->nl, NFTA_SET_USERDATA, u.b, u.n);
	fw_nl_msg_end(b->nl, off);
}

/* ---- the text ---- */

enum state { S_TOP, S_TABLE, S_COUNTER, S_SET, S_ELEMS, S_CHAIN, S_END };

struct reader {
	struct bld *b;
	enum state st;
	char name[80];			/* the counter's, set's or chain's */
	struct set set;
	struct bld_range *r;		/* the set's elements as read */
	size_t nr, rcap;
	bool first;			/* the chain's first line */
	struct bld_chain *chain;	/* the chain being read */
	bool exists;			/* the set is in the kernel already */
};

/* The line at *p (len bytes, without its newline); *p moves past it.
 * NULL at the end. */
static const char *
next_line(const char **p, size_t *len)
{
	const char *s = *p, *nl;

	if (*s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	*len = nl != NULL ? (size_t)(nl - s) : strlen(s);
	*p = s + *len + (nl != NULL);
	return s;
}

/* `KIND NAME {`: the name into rd->name */
static int
opening(struct reader *rd, const struct bld_line *l)
{
	if (l->n != 3 || !bld_is(&l->w[2], "{") || l->w[1].q ||
	    bld_str(&l->w[1], rd->name, sizeof(rd->name)) < 0)
		return bld_fail(rd->b, "not \"KIND NAME {\"", &l->w[0]);
	return 0;
}

static int
table_line(struct reader *rd, const struct bld_line *l)
{
	const struct bld_word *w = l->w;

	if (l->n == 1 && bld_is(&w[0], "}")) {
		rd->st = S_END;
		return 0;
	}
	if (opening(rd, l) < 0)
		return -1;
	if (bld_is(&w[0], "counter")) {
		counter_msg(rd->b, rd->name);
		rd->st = S_COUNTER;
	} else if (bld_is(&w[0], "set") || bld_is(&w[0], "map")) {
		free(rd->set.kv);
		rd->set = (struct set){ .map = bld_is(&w[0], "map") };
		memcpy(rd->set.name, rd->name, sizeof(rd->set.name));
		rd->nr = 0;
		rd->st = S_SET;
	} else if (bld_is(&w[0], "chain")) {
		rd->st = S_CHAIN;
		rd->first = true;
		rd->chain = bld_chain_find(rd->b->st, rd->name);
	} else {
		return bld_fail(rd->b, "unknown table member", &w[0]);
	}
	return 0;
}

static int
set_line(struct reader *rd, const struct bld_line *l)
{
	const struct bld_word *w = l->w;
	struct set *s = &rd->set;

	if (bld_is(&w[0], "type") && !s->map)
		return set_type(rd->b, l, s);
	if (bld_is(&w[0], "typeof"))
		return set_typeof(rd->b, l, s);
	if (s->key.len == 0)
		return bld_fail(rd->b, "a set without a type", &w[0]);
	if (l->n == 2 && bld_is(&w[0], "flags") && bld_is(&w[1],
	    "interval") && !s->map) {
		s->interval = true;
		return 0;
	}
	if (l->n == 3 && bld_is(&w[0], "elements") && bld_is(&w[1], "=") &&
	    bld_is(&w[2], "{") && s->interval && s->id == 0) {
		if (!rd->exists)
			set_msg(rd->b, s);
		rd->st = S_ELEMS;
		return 0;
	}
	if (l->n == 1 && bld_is(&w[0], "}")) {
		if (s->id == 0 && !rd->exists)
			set_msg(rd->b, s);
		rd->st = S_TABLE;
		return 0;
	}
	return bld_fail(rd->b, "unknown in a set", &w[0]);
}

/* a line of a set's elements: "A, B/24, C-D," or the closing "}" */
static int
elems_line(struct reader *rd, const struct bld_line *l)
{
	int family = rd->set.key.len == 4 ? AF_INET : AF_INET6;
	bool one;

	if (l->n == 1 && bld_is(&l->w[0], "}")) {
		struct bld_elems e = { .len = rd->set.key.len };

		bld_intervals(&e, rd->r, rd->nr, false);
		if (e.oom) {
			bld_elems_free(&e);
			return bld_fail(rd->b, "out of memory", NULL);
		}
		bld_elems_send(rd->b, rd->set.name, rd->set.id, &e);
		bld_elems_free(&e);
		rd->st = S_SET;
		return 0;
	}
	for (size_t i = 0; i < l->n; i += 2) {
		if (mem_grow(&rd->r, &rd->rcap, rd->nr + 1,
		    sizeof(*rd->r)) < 0)
			return bld_fail(rd->b, "out of memory", NULL);
		if (bld_addr(&l->w[i], family, &rd->r[rd->nr++], &one) < 0)
			return bld_fail(rd->b, "not an element", &l->w[i]);
		if (i + 1 < l->n && !bld_is(&l->w[i + 1], ","))
			return bld_fail(rd->b, "not \",\"", &l->w[i + 1]);
	}
	return 0;
}

static int
read_line(struct reader *rd, const struct bld_line *l)
{
	if (l->n == 0)
		return 0;
	switch (rd->st) {
	case S_TOP:
		if (l->n != 4 || !bld_is(&l->w[0], "table") ||
		    !bld_is(&l->w[1], "inet") || !bld_is(&l->w[2],
		    fw_nl_table(rd->b->nl)) || !bld_is(&l->w[3], "{"))
			return bld_fail(rd->b, "not this table", &l->w[0]);
		rd->st = S_TABLE;
		return 0;
	case S_TABLE:
		return table_line(rd, l);
	case S_COUNTER:
		if (l->n != 1 || !bld_is(&l->w[0], "}"))
			return bld_fail(rd->b, "a counter holds nothing",
			    &l->w[0]);
		rd->st = S_TABLE;
		return 0;
	case S_SET:
		return set_line(rd, l);
	case S_ELEMS:
		return elems_line(rd, l);
	case S_CHAIN:
		if (l->n == 1 && bld_is(&l->w[0], "}")) {
			rd->st = S_TABLE;
			return 0;
		}
		if (rd->first && bld_is(&l->w[0], "type")) {
			rd->first = false;
			return 0;	/* its hook: sent with the chain */
		}
		rd->first = false;
		if (bld_rule(rd->b, rd->name) < 0)
			return -1;
		bld_chain_push(rd->b->st, rd->chain, rd->b->rule);
		return 0;
	case S_END:
		break;
	}
	return bld_fail(rd->b, "after the table's end", &l->w[0]);
}

/* Every chain, first: "\tchain NAME {" and the line after it. */
static int
all_chains(struct bld *b, const char *text, struct bld_line *l)
{
	struct bld_line *next = l + 1;
	const char *p = text, *s;
	size_t len, no = 0;
	char name[80];

	while ((s = next_line(&p, &len)) != NULL) {
		const char *q = p;
		size_t nlen;

		no++;
		if (len < 7 || memcmp(s, "\tchain ", 7) != 0)
			continue;
		l->no = (unsigned)no;
		b->line = l;
		if (bld_split(s, len, l) < 0 || l->n != 3 || bld_str(&l->w[1],
		    name, sizeof(name)) < 0)
			return bld_fail(b, "not \"chain NAME {\"", NULL);
		s = next_line(&q, &nlen);
		next->no = (unsigned)no + 1;
		if (s == NULL || bld_split(s, nlen, next) < 0)
			return bld_fail(b, "a chain without an end", NULL);
		if (chain_msg(b, name, next) < 0)
			return -1;
	}
	return 0;
}

static int
build(struct bld *b, const char *text, struct bld_line *l)
{
	struct reader rd = { .b = b, .st = S_TOP };
	const char *p = text, *s;
	size_t len;
	unsigned no = 0;
	int rc = 0;

	while (rc == 0 && (s = next_line(&p, &len)) != NULL) {
		l->no = ++no;
		b->line = l;
		if (bld_split(s, len, l) < 0)
			rc = bld_fail(b, "too many words, or a quote not "
			    "closed", NULL);
		else
			rc = read_line(&rd, l);
	}
	if (rc == 0 && rd.st != S_END)
		rc = bld_fail(b, "the table does not end", NULL);
	free(rd.set.kv);
	free(rd.r);
	return rc;
}

int
fw_build_table(struct fw_nl *nl, const char *text, struct fw_build_state *st,
    char *err, size_t errsize)
{
	struct bld b = { .nl = nl, .st = st, .err = err, .errsize = errsize };
	struct bld_line *l = malloc(2 * sizeof(*l));
	int rc;

	state_clear(st);
	if (l == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	table_msg(&b, NFT_MSG_NEWTABLE);
	table_msg(&b, NFT_MSG_DELTABLE);
	if (text[0] != '\0')
		table_msg(&b, NFT_MSG_NEWTABLE);
	rc = text[0] == '\0' ? 0 : all_chains(&b, text, l);
	if (rc == 0 && text[0] != '\0')
		rc = build(&b, text, l);
	free(l);
	if (rc == 0 && (fw_nl_oom(nl) || st->oom)) {
		snprintf(err, errsize, "out of memory");
		rc = -1;
	}
	st->known = rc == 0;
	return rc;
}

/* ---- for fw_build_diff.c ---- */

struct bld_reader {
	struct reader rd;
	struct bld_line l;
};

struct bld_reader *
bld_reader_new(struct bld *b, bool exists)
{
	struct bld_reader *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->rd = (struct reader){ .b = b, .st = S_TABLE,
		    .exists = exists };
	return r;
}

int
bld_reader_line(struct bld_reader *r, const char *s, size_t n, unsigned no)
{
	r->l.no = no;
	r->rd.b->line = &r->l;
	if (bld_split(s, n, &r->l) < 0)
		return bld_fail(r->rd.b, "too many words, or a quote not "
		    "closed", NULL);
	return read_line(&r->rd, &r->l);
}

void
bld_reader_free(struct bld_reader **r)
{
	if (*r == NULL)
		return;
	free((*r)->rd.set.kv);
	free((*r)->rd.r);
	free(*r);
	*r = NULL;
}

int
bld_new_chain(struct bld *b, const char *name, const char *hook,
    size_t hooklen, unsigned no)
{
	struct bld_line *l = malloc(sizeof(*l));
	int rc;

	if (l == NULL)
		return bld_fail(b, "out of memory", NULL);
	l->no = no;
	l->n = 0;
	b->line = l;
	rc = hook != NULL && bld_split(hook, hooklen, l) < 0 ?
	    bld_fail(b, "not a chain's hook", NULL) : chain_msg(b, name, l);
	b->line = NULL;
	free(l);
	return rc;
}
