/*
 * fw/fw_build_diff.c - a reload's table sent as what changed from the
 * table in force (fw_build.h's fw_build_update).
 *
 * Both texts are cut into the table's members (a counter, set, map or
 * chain: "\tKIND NAME {" to "\t}"), matched by kind and name, and:
 *
 *   - the members that came are made (chains first, empty, so that a
 *     jump may name one), and their rules added;
 *   - a static set whose elements changed is emptied and filled again
 *     (its declaration changed: the whole table is sent instead);
 *   - a chain whose rules changed keeps the rules before and after the
 *     change; those between are deleted by handle and the new ones put
 *     before the first rule kept after (or at the end): one changed rule
 *     among ten thousand is two messages;
 *   - the chains that went are emptied and deleted, then the sets, maps
 *     and counters that went (no rule names them any more).
 *
 * One batch, as the whole table is: the kernel applies all or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* after the libc's: linux/netfilter.h would define in_addr again */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "fw_build.h"
#include "fw_build_int.h"
#include "fw_nlmsg.h"

/* A line of a text: where it starts, its length without the newline. */
struct span {
	const char *s;
	size_t n;
};

/* A member of the table, as its text says it. */
struct member {
	char kind;			/* 'c'ounter, 's'et, 'm'ap, 'C'hain */
	struct span name;
	struct span *lines;		/* from the opening to the closing */
	size_t nlines;
	unsigned first;			/* its opening's line number */
	struct member *peer;		/* the same in the other text */
};

struct cut {
	struct span *lines;		/* all the text's lines */
	size_t nlines;
	struct member *m;
	size_t n;
};

static bool
span_eq(const struct span *a, const struct span *b)
{
	return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

static int
cut_lines(const char *text, struct cut *c)
{
	size_t cap = 1024;

	c->lines = malloc(cap * sizeof(*c->lines));
	if (c->lines == NULL)
		return -1;
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (c->nlines == cap) {
			struct span *v = realloc(c->lines, 2 * cap *
			    sizeof(*v));

			if (v == NULL)
				return -1;
			c->lines = v;
			cap *= 2;
		}
		c->lines[c->nlines++] = (struct span){ p, n };
		p += n + (nl != NULL);
	}
	return 0;
}

/* "\tKIND NAME {": the member's kind and name; 0 when not one */
static char
opening(const struct span *l, struct span *name)
{
	static const struct { const char *w; char k; } kinds[] = {
		{ "\tcounter ", 'c' }, { "\tset ", 's' }, { "\tmap ", 'm' },
		{ "\tchain ", 'C' },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t w = strlen(kinds[i].w);

		if (l->n > w + 2 && memcmp(l->s, kinds[i].w, w) == 0 &&
		    memcmp(l->s + l->n - 2, " {", 2) == 0) {
			*name = (struct span){ l->s + w, l->n - w - 2 };
			return kinds[i].k;
		}
	}
	return 0;
}

/* text cut into its members; -1 out of memory or not a table's text */
static int
cut_text(const char *text, struct cut *c)
{
	struct member *cur = NULL;

	if (cut_lines(text, c) < 0)
		return -1;
	c->m = calloc(c->nlines + 1, sizeof(*c->m));
	if (c->m == NULL)
		return -1;
	for (size_t i = 1; i + 1 < c->nlines; i++) {
		const struct span *l = &c->lines[i];
		struct span name;
		char k;

		if (cur == NULL && (k = opening(l, &name)) != 0) {
			cur = &c->m[c->n++];
			*cur = (struct member){ .kind = k, .name = name,
			    .lines = &c->lines[i], .first = (unsigned)i + 1 };
		}
		if (cur == NULL)
			return -1;
		cur->nlines++;
		if (l->n == 2 && memcmp(l->s, "\t}", 2) == 0)
			cur = NULL;
	}
	return cur == NULL ? 0 : -1;
}

static void
cut_free(struct cut *c)
{
	free(c->lines);
	free(c->m);
}

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = *(struct member *const *)a;
	const struct member *y = *(struct member *const *)b;
	size_t n = x->name.n < y->name.n ? x->name.n : y->name.n;
	int d = x->kind - y->kind;

	if (d == 0)
		d = memcmp(x->name.s, y->name.s, n);
	if (d == 0)
		d = x->name.n < y->name.n ? -1 : x->name.n > y->name.n;
	return d;
}

/* Each member of a and b given its peer in the other, if any. */
static int
pair(struct cut *a, struct cut *b)
{
	struct member **pa = malloc((a->n + 1) * sizeof(*pa));
	struct member **pb = malloc((b->n + 1) * sizeof(*pb));
	size_t i = 0, j = 0;

	if (pa == NULL || pb == NULL) {
		free(pa);
		free(pb);
		return -1;
	}
	for (size_t k = 0; k < a->n; k++)
		pa[k] = &a->m[k];
	for (size_t k = 0; k < b->n; k++)
		pb[k] = &b->m[k];
	qsort(pa, a->n, sizeof(*pa), member_cmp);
	qsort(pb, b->n, sizeof(*pb), member_cmp);
	while (i < a->n && j < b->n) {
		int d = member_cmp(&pa[i], &pb[j]);

		if (d == 0) {
			pa[i]->peer = pb[j];
			pb[j]->peer = pa[i];
		}
		i += d <= 0;
		j += d >= 0;
	}
	free(pa);
	free(pb);
	return 0;
}

/* ---- sets ---- */

/* the index of a set's "elements = {" line, or its closing line */
static size_t
decl_end(const struct member *m)
{
	for (size_t i = 1; i < m->nlines; i++)
		if (m->lines[i].n >= 10 && memcmp(m->lines[i].s,
		    "\t\telements", 10) == 0)
			return i;
	return m->nlines - 1;
}

/* 0 the same; 1 its elements changed; 2 its declaration did */
static int
set_change(const struct member *old, const struct member *new)
{
	size_t a = decl_end(old), b = decl_end(new);

	if (a != b)
		return 2;
	for (size_t i = 0; i < a; i++)
		if (!span_eq(&old->lines[i], &new->lines[i]))
			return 2;
	if (old->nlines != new->nlines)
		return 1;
	for (size_t i = a; i < old->nlines; i++)
		if (!span_eq(&old->lines[i], &new->lines[i]))
			return 1;
	return 0;
}

/* 0 the same; 1 its rules changed; 2 its hook did */
static int
chain_change(const struct member *old, const struct member *new)
{
	bool ho = old->nlines > 2 && old->lines[1].n > 6 &&
	    memcmp(old->lines[1].s, "\t\ttype ", 7) == 0;
	bool hn = new->nlines > 2 && new->lines[1].n > 6 &&
	    memcmp(new->lines[1].s, "\t\ttype ", 7) == 0;

	if (ho != hn || (ho && !span_eq(&old->lines[1], &new->lines[1])))
		return 2;
	if (old->nlines != new->nlines)
		return 1;
	for (size_t i = 0; i < old->nlines; i++)
		if (!span_eq(&old->lines[i], &new->lines[i]))
			return 1;
	return 0;
}

/* ---- the batch ---- */

struct diff {
	struct bld *b;
	struct cut *old, *new;
	size_t changes;
};

static void
name_of(const struct member *m, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)m->name.n, m->name.s);
}

/* m's lines read as the whole table's would be (from line `from`) */
static int
read_member(struct diff *d, const struct member *m, size_t from,
    bool exists)
{
	struct bld_reader *r = bld_reader_new(d->b, exists);
	int rc = r == NULL ? bld_fail(d->b, "out of memory", NULL) : 0;

	if (rc == 0 && from > 0)	/* the chain's opening, its hook */
		rc = bld_reader_line(r, m->lines[0].s, m->lines[0].n,
		    m->first);
	for (size_t i = from; rc == 0 && i < m->nlines; i++)
		rc = bld_reader_line(r, m->lines[i].s, m->lines[i].n,
		    m->first + (unsigned)i);
	bld_reader_free(&r);
	d->changes += m->nlines;
	return rc;
}

/* a message naming table and object (DELRULE flush, DELCHAIN, DELSET,
 * DELOBJ, DELSETELEM flush) */
static void
drop(struct diff *d, uint16_t type, const char *name, uint64_t handle)
{
	char what[96];
	size_t off;
	uint16_t tattr = type == NFT_MSG_DELSETELEM ? NFTA_SET_ELEM_LIST_TABLE :
	    NFTA_RULE_TABLE, nattr;

	snprintf(what, sizeof(what), "deleting %s %s", type ==
	    NFT_MSG_DELRULE ? (handle != 0 ? "a rule of chain" :
	    "the rules of chain") : type == NFT_MSG_DELCHAIN ? "chain" :
	    type == NFT_MSG_DELOBJ ? "counter" : type == NFT_MSG_DELSET ?
	    "set" : "the elements of set", name);
	d->b->line = NULL;		/* of no line of the new text */
	nattr = type == NFT_MSG_DELSETELEM ? NFTA_SET_ELEM_LIST_SET :
	    type == NFT_MSG_DELRULE ? NFTA_RULE_CHAIN : type ==
	    NFT_MSG_DELCHAIN ? NFTA_CHAIN_NAME : type == NFT_MSG_DELOBJ ?
	    NFTA_OBJ_NAME : NFTA_SET_NAME;
	off = bld_change(d->b, type, 0, what);
	fw_nl_attr_str(d->b->nl, tattr, fw_nl_table(d->b->nl));
	fw_nl_attr_str(d->b->nl, nattr, name);
	if (type == NFT_MSG_DELOBJ)
		bld_put_u32(d->b->nl, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (handle != 0) {
		uint64_t h = htobe64(handle);

		fw_nl_attr(d->b->nl, NFTA_RULE_HANDLE, &h, sizeof(h));
	}
	fw_nl_msg_end(d->b->nl, off);
	d->changes++;
}

/* the new counters, sets and maps, and the new chains (empty) */
static int
make_new(struct diff *d)
{
	char name[80];

	for (size_t i = 0; i < d->new->n; i++) {
		const struct member *m = &d->new->m[i];

		if (m->peer != NULL || m->kind == 'C')
			continue;
		if (read_member(d, m, 0, false) < 0)
			return -1;
	}
	for (size_t i = 0; i < d->new->n; i++) {
		const struct member *m = &d->new->m[i];
		bool hook = m->nlines > 2 && m->lines[1].n > 6 &&
		    memcmp(m->lines[1].s, "\t\ttype ", 7) == 0;

		if (m->peer != NULL || m->kind != 'C')
			continue;
		name_of(m, name, sizeof(name));
		if (bld_new_chain(d->b, name, hook ? m->lines[1].s : NULL,
		    hook ? m->lines[1].n : 0, m->first + 1) < 0)
			return -1;
	}
	return 0;
}

/* static sets whose elements changed: emptied, filled again */
static int
refill_sets(struct diff *d)
{
	char name[80];

	for (size_t i = 0; i < d->new->n; i++) {
		const struct member *m = &d->new->m[i];

		if (m->peer == NULL || m->kind != 's' ||
		    set_change(m->peer, m) == 0)
			continue;
		name_of(m, name, sizeof(name));
		drop(d, NFT_MSG_DELSETELEM, name, 0);
		if (read_member(d, m, 0, true) < 0)
			return -1;
	}
	return 0;
}

static bool
has_hook(const struct member *m)
{
	return m->nlines > 2 && m->lines[1].n > 6 &&
	    memcmp(m->lines[1].s, "\t\ttype ", 7) == 0;
}

/* The rules of old chain o and new chain m: they start at line *from,
 * and are *no and *nn. */
static void
rule_span(const struct member *o, const struct member *m, size_t *from,
    size_t *no, size_t *nn)
{
	*from = 1 + has_hook(m);
	*no = o->nlines - 1 - *from;
	*nn = m->nlines - 1 - *from;
}

/* ---- a chain's rules ---- */

/* How many times each line is still to come, in the old rules and in
 * the new: an open-addressing table of the lines. */
struct tally {
	struct span *key;
	size_t *left[2];		/* 0: old, 1: new */
	size_t mask;
};

static size_t
span_hash(const struct span *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (size_t i = 0; i < s->n; i++)
		h = (h ^ (uint8_t)s->s[i]) * 1099511628211ull;
	return (size_t)h;
}

static size_t *
tally_at(struct tally *t, const struct span *s, int side)
{
	size_t i = span_hash(s) & t->mask;

	while (t->key[i].s != NULL && !span_eq(&t->key[i], s))
		i = (i + 1) & t->mask;
	t->key[i] = *s;
	return &t->left[side][i];
}

static int
tally_make(struct tally *t, const struct span *o, size_t no,
    const struct span *n, size_t nn)
{
	size_t size = 16;

	while (size < 2 * (no + nn))
		size *= 2;
	t->mask = size - 1;
	t->key = calloc(size, sizeof(*t->key));
	t->left[0] = calloc(size, sizeof(size_t));
	t->left[1] = calloc(size, sizeof(size_t));
	if (t->key == NULL || t->left[0] == NULL || t->left[1] == NULL)
		return -1;
	for (size_t i = 0; i < no; i++)
		(*tally_at(t, &o[i], 0))++;
	for (size_t i = 0; i < nn; i++)
		(*tally_at(t, &n[i], 1))++;
	return 0;
}

static void
tally_free(struct tally *t)
{
	free(t->key);
	free(t->left[0]);
	free(t->left[1]);
}

/* The walk through a chain's old and new rules. */
struct walk {
	struct diff *d;
	const struct member *m;
	const struct span *o, *n;	/* the rules, old and new */
	size_t no, nn, from;
	const uint64_t *oh;		/* the old rules' handles */
	uint64_t *nh;			/* the new rules' */
	uint64_t after;			/* the first rule kept after all */
	struct bld_line *l;
	char name[80];
};

/* new rule j, before old rule i (or what comes after all) */
static int
put(struct walk *w, size_t i, size_t j)
{
	struct diff *d = w->d;
	struct bld_line *l = w->l;
	unsigned no = w->m->first + (unsigned)(w->from + j);

	d->b->before = i < w->no ? w->oh[i] : w->after;
	l->no = no;
	d->b->line = l;
	if (bld_split(w->n[j].s, w->n[j].n, l) < 0)
		return bld_fail(d->b, "too many words, or a quote not closed",
		    NULL);
	d->changes++;
	if (bld_rule(d->b, w->name) < 0)
		return -1;
	w->nh[j] = d->b->rule;
	return 0;
}

/*
 * Old rules [0, no) to new [0, nn): a rule the same on both sides at
 * the walk's place stays; an old one that comes no more on the new side
 * goes; a new one that comes no more on the old side is put in before
 * the old rule at the walk's place (which may go after it: the order of
 * the rules kept is the order of the text); when both come later, the
 * old one goes (and comes back where the new side has it).
 */
static int
walk(struct walk *w, struct tally *t)
{
	size_t i = 0, j = 0;

	while (i < w->no || j < w->nn) {
		bool same = i < w->no && j < w->nn && span_eq(&w->o[i],
		    &w->n[j]);
		size_t *oi = i < w->no ? tally_at(t, &w->o[i], 1) : NULL;
		size_t *nj = j < w->nn ? tally_at(t, &w->n[j], 0) : NULL;

		if (same) {
			w->nh[j] = w->oh[i];
			(*oi)--;
			(*nj)--;
			i++;
			j++;
		} else if (oi != NULL && (*oi == 0 || nj == NULL ||
		    *nj > 0)) {
			drop(w->d, NFT_MSG_DELRULE, w->name, w->oh[i]);
			(*tally_at(t, &w->o[i], 0))--;
			i++;
		} else {
			if (put(w, i, j) < 0)
				return -1;
			(*tally_at(t, &w->n[j], 1))--;
			j++;
		}
	}
	return 0;
}

/* Chain m, whose rules changed from its peer's (walk); 1 when the chain
 * is not the one st describes. */
static int
rechain(struct diff *d, const struct member *m, struct bld_line *l)
{
	const struct member *o = m->peer;
	struct walk w = { .d = d, .m = m, .l = l };
	struct tally t = { .key = NULL };
	struct bld_chain *c;
	size_t p = 0, q = 0;
	int rc = -1;

	name_of(m, w.name, sizeof(w.name));
	rule_span(o, m, &w.from, &w.no, &w.nn);
	if ((c = bld_chain_find(d->b->st, w.name)) == NULL || c->n != w.no)
		return 1;
	/* the same start and end, left out of the walk */
	while (p < w.no && p < w.nn && span_eq(&o->lines[w.from + p],
	    &m->lines[w.from + p]))
		p++;
	while (q < w.no - p && q < w.nn - p && span_eq(&o->lines[w.from +
	    w.no - 1 - q], &m->lines[w.from + w.nn - 1 - q]))
		q++;
	w.o = &o->lines[w.from + p];
	w.n = &m->lines[w.from + p];
	w.oh = c->h + p;
	w.after = q > 0 ? c->h[w.no - q] : 0;
	w.no -= p + q;
	w.nn -= p + q;
	w.from += p;
	if ((w.nh = malloc((p + w.nn + q + 1) * sizeof(*w.nh))) == NULL ||
	    tally_make(&t, w.o, w.no, w.n, w.nn) < 0) {
		rc = bld_fail(d->b, "out of memory", NULL);
		goto out;
	}
	{
		uint64_t *all = w.nh;

		memcpy(all, c->h, p * sizeof(*all));
		w.nh = all + p;
		rc = walk(&w, &t);
		memcpy(all + p + w.nn, c->h + p + w.no, q * sizeof(*all));
		w.nh = all;
	}
	d->b->before = 0;
	if (rc == 0) {
		free(c->h);
		c->h = w.nh;
		c->n = p + w.nn + q;
		c->cap = c->n + 1;
		w.nh = NULL;
	}
out:
	free(w.nh);
	tally_free(&t);
	return rc;
}

/* the chains that changed, then the new chains' rules */
static int
rules(struct diff *d)
{
	struct bld_line *l = malloc(sizeof(*l));
	int rc = 0;

	if (l == NULL)
		return bld_fail(d->b, "out of memory", NULL);
	for (size_t i = 0; rc == 0 && i < d->new->n; i++) {
		const struct member *m = &d->new->m[i];

		if (m->kind != 'C')
			continue;
		if (m->peer == NULL)
			rc = read_member(d, m, 1, false);
		else if (chain_change(m->peer, m) == 1)
			rc = rechain(d, m, l);
	}
	free(l);
	return rc;
}

/* what went: chains (all emptied first: one may jump to another), then
 * sets, maps and counters */
static void
drop_gone(struct diff *d)
{
	static const char order[] = "ECsmc";	/* E: the chains emptied */
	char name[80];

	for (const char *k = order; *k != '\0'; k++)
		for (size_t i = 0; i < d->old->n; i++) {
			const struct member *m = &d->old->m[i];
			struct bld_chain *c;

			if (m->peer != NULL || m->kind != (*k == 'E' ? 'C' :
			    *k))
				continue;
			name_of(m, name, sizeof(name));
			if (*k == 'E') {
				drop(d, NFT_MSG_DELRULE, name, 0);
			} else if (*k == 'C') {
				drop(d, NFT_MSG_DELCHAIN, name, 0);
				if ((c = bld_chain_find(d->b->st, name)) !=
				    NULL)
					c->name[0] = '\0';	/* gone */
			} else {
				drop(d, *k == 'c' ? NFT_MSG_DELOBJ :
				    NFT_MSG_DELSET, name, 0);
			}
		}
}

/* Whether new base chain m is on a hook and priority a kept one is on:
 * the kernel runs those in the order they were made, which a change
 * cannot give the new one. */
static bool
beside_kept(const struct cut *c, const struct member *m)
{
	if (m->peer != NULL || m->kind != 'C' || !has_hook(m))
		return false;
	for (size_t i = 0; i < c->n; i++) {
		const struct member *k = &c->m[i];

		if (k->peer != NULL && k->kind == 'C' && has_hook(k) &&
		    span_eq(&k->lines[1], &m->lines[1]))
			return true;
	}
	return false;
}

/* 1 when a member changed in a way the batch cannot say: a set's or a
 * map's declaration, a base chain's hook; or when a new base chain
 * shares its hook and priority with one kept */
static int
unsayable(const struct cut *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct member *m = &c->m[i];

		if (beside_kept(c, m))
			return 1;
		if (m->peer == NULL)
			continue;
		if ((m->kind == 's' && set_change(m->peer, m) == 2) ||
		    (m->kind == 'm' && set_change(m->peer, m) != 0) ||
		    (m->kind == 'C' && chain_change(m->peer, m) == 2))
			return 1;
	}
	return 0;
}

int
fw_build_update(struct fw_nl *nl, const char *old, const char *text,
    struct fw_build_state *st, size_t *changes, char *err, size_t errsize)
{
	struct bld b = { .nl = nl, .st = st, .err = err, .errsize = errsize };
	struct cut co = { .n = 0 }, cn = { .n = 0 };
	struct diff d = { &b, &co, &cn, 0 };
	int rc = 1;

	*changes = 0;
	if (!st->known || old[0] == '\0' || text[0] == '\0')
		return 1;
	if (cut_text(old, &co) < 0 || cut_text(text, &cn) < 0 ||
	    pair(&co, &cn) < 0 || unsayable(&cn) != 0)
		goto out;
	st->nmade = 0;
	st->known = false;	/* until the batch is read whole */
	if ((rc = make_new(&d)) == 0 && (rc = refill_sets(&d)) == 0 &&
	    (rc = rules(&d)) == 0)
		drop_gone(&d);
	if (rc == 0 && (fw_nl_oom(nl) || st->oom))
		rc = bld_fail(&b, "out of memory", NULL);
	st->known = rc == 0;
	*changes = d.changes;
out:
	cut_free(&co);
	cut_free(&cn);
	return rc;
}
