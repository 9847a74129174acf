/*
 * fw/fw_klb_rt.c - the virtual servers the kernel balances, at run time
 * in the master (see fw_klb.h): the weights their members have in force,
 * the slots the kernel's maps hold, and the element changes between the
 * two.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fw_klb.h"
#include "fw_netlink.h"
#include "fw_nft.h"
#include "mem.h"
#include "text.h"

/* ---- at run time ---- */

/* A member's weight in force, as last recorded. */
struct klb_weight {
	char service[EDGED_KNAME_MAX];
	char member[EDGED_KNAME_MAX];
	unsigned weight;
	bool down;
};

/* A service of the table in force (or of the one being put in), with
 * the slots its map has and the members its cut set has. */
struct klb_svc {
	struct edged_kservice ks;	/* a copy */
	unsigned nslots;
	int *slot;			/* [nslots]: a member, -1 */
	bool *cut;			/* [ks.nmembers] */
	int *next;			/* fw_klb_queue's, until fw_klb_sent */
	bool *next_cut;
};

struct klb_set {
	struct klb_svc *v;
	size_t n;
};

struct fw_klb {
	struct klb_weight *w;
	size_t nw, capw;
	struct klb_set live;		/* in the kernel */
	struct klb_set ready;		/* fw_klb_prepare's, until
					 * fw_klb_installed */
	struct klb_svc *queued;		/* fw_klb_queue's, until
					 * fw_klb_sent */
};

struct fw_klb *
fw_klb_new(void)
{
	return calloc(1, sizeof(struct fw_klb));
}

static void
svc_release(struct klb_svc *s)
{
	edged_kservice_release(&s->ks);
	free(s->slot);
	free(s->cut);
	free(s->next);
	free(s->next_cut);
}

static void
set_release(struct klb_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		svc_release(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

void
fw_klb_free(struct fw_klb *k)
{
	if (k == NULL)
		return;
	set_release(&k->live);
	set_release(&k->ready);
	free(k->w);
	free(k);
}

static struct klb_weight *
weight_find(const struct fw_klb *k, const char *service, const char *member)
{
	for (size_t i = 0; i < k->nw; i++)
		if (strcmp(k->w[i].service, service) == 0 &&
		    strcmp(k->w[i].member, member) == 0)
			return &k->w[i];
	return NULL;
}

int
fw_klb_weights(struct fw_klb *k, const char *service,
    const struct edged_kweight *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct klb_weight *r = weight_find(k, service, w[i].member);

		if (r == NULL) {
			if (mem_grow(&k->w, &k->capw, k->nw + 1,
			    sizeof(*k->w)) < 0)
				return -1;
			r = &k->w[k->nw++];
			snprintf(r->service, sizeof(r->service), "%s", service);
			snprintf(r->member, sizeof(r->member), "%s",
			    w[i].member);
		}
		r->weight = w[i].weight;
		r->down = w[i].down;
	}
	return 0;
}

/* What the kernel is to do for s's members now: the weights recorded,
 * the file's for a member never heard of. */
static void
wanted(const struct fw_klb *k, const struct klb_svc *s, unsigned *w,
    bool *cut)
{
	for (size_t i = 0; i < s->ks.nmembers; i++) {
		const struct edged_kmember *m = &s->ks.members[i];
		const struct klb_weight *r = weight_find(k, s->ks.name,
		    m->name);

		w[i] = r != NULL ? r->weight : m->weight * EDGED_KWEIGHT_SCALE;
		cut[i] = r != NULL && r->down && s->ks.cut;
	}
}

static bool
same_members(const struct edged_kservice *a, const struct edged_kservice *b)
{
	if (a->nmembers != b->nmembers)
		return false;
	for (size_t i = 0; i < a->nmembers; i++)
		if (strcmp(a->members[i].name, b->members[i].name) != 0 ||
		    memcmp(&a->members[i].addr, &b->members[i].addr,
		    sizeof(a->members[i].addr)) != 0)
			return false;
	return true;
}

static struct klb_svc *
live_find(const struct fw_klb *k, const char *name)
{
	for (size_t i = 0; i < k->live.n; i++)
		if (strcmp(k->live.v[i].ks.name, name) == 0)
			return &k->live.v[i];
	return NULL;
}

/* A member's address . port as a concatenation's bytes: each field in
 * network order, padded to 4 bytes.  Returns the length. */
static uint8_t
member_bytes(uint8_t *buf, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	size_t alen = ss->ss_family == AF_INET6 ? 16 : 4;

	memset(buf, 0, FW_NL_ELEM_MAX);
	if (alen == 16) {
		memcpy(buf, &s6->sin6_addr, 16);
		memcpy(buf + 16, &s6->sin6_port, 2);
	} else {
		memcpy(buf, &s4->sin_addr, 4);
		memcpy(buf + 4, &s4->sin_port, 2);
	}
	return (uint8_t)(alen + 4);
}

/* "10.0.1.11 . 80", "2001:db8::11 . 80" */
static void
member_text(char *buf, size_t size, const struct sockaddr_storage *ss)
{
	char h[64];

	addr_fmt(h, sizeof(h), (const struct sockaddr *)ss);
	snprintf(buf, size, "%s . %d", h,
	    addr_port((const struct sockaddr *)ss));
}

/* s's map elements and cut set as nft commands. */
static void
elements_text(FILE *f, const struct klb_svc *s)
{
	const struct edged_kservice *ks = &s->ks;
	const char *sep = "";
	char m[96];

	for (unsigned i = 0; i < s->nslots; i++) {
		if (s->slot[i] < 0)
			continue;
		if (*sep == '\0')
			fprintf(f, "add element inet %s k_%s { ", FW_TABLE,
			    ks->name);
		member_text(m, sizeof(m), &ks->members[s->slot[i]].addr);
		fprintf(f, "%s%u : %s", sep, i, m);
		sep = ", ";
	}
	if (*sep != '\0')
		fprintf(f, " }\n");
	sep = "";
	for (size_t i = 0; i < ks->nmembers; i++) {
		if (!s->cut[i])
			continue;
		if (*sep == '\0')
			fprintf(f, "add element inet %s kc_%s { ", FW_TABLE,
			    ks->name);
		member_text(m, sizeof(m), &ks->members[i].addr);
		fprintf(f, "%s%s", sep, m);
		sep = ", ";
	}
	if (*sep != '\0')
		fprintf(f, " }\n");
}

/* s made from ks, with the slots the kernel has when the live table has
 * the same service (same slots, same members), and then the weights
 * recorded.  0, or -1 out of memory. */
static int
svc_make(const struct fw_klb *k, struct klb_svc *s,
    const struct edged_kservice *ks)
{
	const struct klb_svc *was = live_find(k, ks->name);
	unsigned *w = NULL;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (edged_kservice_copy(&s->ks, ks) < 0)
		return -1;
	s->nslots = fw_klb_nslots(ks);
	s->slot = mem_array(s->nslots, sizeof(*s->slot));
	s->cut = mem_array(ks->nmembers, sizeof(*s->cut));
	w = mem_array(ks->nmembers, sizeof(*w));
	if (s->slot == NULL || s->cut == NULL || w == NULL)
		goto out;
	for (unsigned i = 0; i < s->nslots; i++)
		s->slot[i] = -1;
	if (was != NULL && was->nslots == s->nslots &&
	    same_members(&was->ks, ks))
		memcpy(s->slot, was->slot, s->nslots * sizeof(*s->slot));
	wanted(k, s, w, s->cut);
	fw_klb_assign(w, ks->nmembers, s->slot, s->nslots);
	rc = 0;
out:
	free(w);
	return rc;
}

int
fw_klb_prepare(struct fw_klb *k, const struct edged_kservice *ks, size_t n)
{
	set_release(&k->ready);
	if ((k->ready.v = mem_array(n, sizeof(*k->ready.v))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++, k->ready.n++)
		if (svc_make(k, &k->ready.v[i], &ks[i]) < 0) {
			svc_release(&k->ready.v[i]);
			set_release(&k->ready);
			return -1;
		}
	return 0;
}

char *
fw_klb_elements(const struct fw_klb *k)
{
	struct text t;
	FILE *f;

	if ((f = text_open(&t)) == NULL)
		return NULL;
	for (size_t i = 0; i < k->ready.n; i++)
		elements_text(f, &k->ready.v[i]);
	return text_close(&t, NULL);
}

void
fw_klb_installed(struct fw_klb *k)
{
	set_release(&k->live);
	k->live = k->ready;
	k->ready = (struct klb_set){ 0 };
	k->queued = NULL;
}

/* The changes from s->slot to s->next and from s->cut to s->next_cut,
 * queued in nl; the number of changes, or -1 out of memory. */
static long
queue_changes(const struct klb_svc *s, struct fw_nl *nl)
{
	const struct edged_kservice *ks = &s->ks;
	size_t cap = s->nslots > ks->nmembers ? s->nslots : ks->nmembers;
	struct fw_nl_elem *del = mem_array(cap, sizeof(*del));
	struct fw_nl_elem *add = mem_array(cap, sizeof(*add));
	size_t nd = 0, na = 0, cd = 0, ca = 0;
	char set[EDGED_KNAME_MAX + 4];
	long rc = -1;

	if (del == NULL || add == NULL)
		goto out;
	for (unsigned i = 0; i < s->nslots; i++) {
		uint32_t key = i;

		if (s->slot[i] == s->next[i])
			continue;
		if (s->slot[i] >= 0) {
			memcpy(del[nd].key, &key, 4);
			del[nd++].keylen = 4;
		}
		if (s->next[i] >= 0) {
			struct fw_nl_elem *e = &add[na++];

			memcpy(e->key, &key, 4);
			e->keylen = 4;
			e->datalen = member_bytes(e->data,
			    &ks->members[s->next[i]].addr);
		}
	}
	snprintf(set, sizeof(set), "k_%s", ks->name);
	if (fw_nl_elems_raw(nl, set, false, del, nd) < 0 ||
	    fw_nl_elems_raw(nl, set, true, add, na) < 0)
		goto out;
	for (size_t i = 0; i < ks->nmembers; i++) {
		struct fw_nl_elem *e;

		if (s->cut[i] == s->next_cut[i])
			continue;
		e = s->next_cut[i] ? &add[ca++] : &del[cd++];
		e->keylen = member_bytes(e->key, &ks->members[i].addr);
		e->datalen = 0;
	}
	snprintf(set, sizeof(set), "kc_%s", ks->name);
	if (fw_nl_elems_raw(nl, set, false, del, cd) < 0 ||
	    fw_nl_elems_raw(nl, set, true, add, ca) < 0)
		goto out;
	rc = (long)(nd + na + cd + ca);
out:
	free(del);
	free(add);
	return rc;
}

/* "one 33, two 33, three 0 (down, cut)" */
static void
describe(char *buf, size_t size, const struct klb_svc *s, const int *slot,
    const bool *cut, const unsigned *w)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->ks.nmembers && off < size; i++) {
		unsigned n = 0;
		int len;

		for (unsigned k = 0; k < s->nslots; k++)
			n += slot[k] == (int)i;
		len = snprintf(buf + off, size - off, "%s%s %u%s",
		    i > 0 ? ", " : "", s->ks.members[i].name, n,
		    cut[i] ? " (cut)" : w[i] == 0 ? " (none)" : "");
		if (len < 0)
			break;
		off += (size_t)len;
	}
}

int
fw_klb_queue(struct fw_klb *k, struct fw_nl *nl, const char *service,
    char *what, size_t size)
{
	struct klb_svc *s = live_find(k, service);
	unsigned *w;
	long changes;

	what[0] = '\0';
	if (s == NULL)
		return 1;
	free(s->next);
	free(s->next_cut);
	s->next = mem_array(s->nslots, sizeof(*s->next));
	s->next_cut = mem_array(s->ks.nmembers, sizeof(*s->next_cut));
	w = mem_array(s->ks.nmembers, sizeof(*w));
	if (s->next == NULL || s->next_cut == NULL || w == NULL) {
		free(w);
		return -1;
	}
	memcpy(s->next, s->slot, s->nslots * sizeof(*s->next));
	wanted(k, s, w, s->next_cut);
	fw_klb_assign(w, s->ks.nmembers, s->next, s->nslots);
	changes = queue_changes(s, nl);
	if (changes > 0)
		describe(what, size, s, s->next, s->next_cut, w);
	free(w);
	if (changes < 0)
		return -1;
	k->queued = s;
	return 0;
}

void
fw_klb_sent(struct fw_klb *k, bool ok)
{
	struct klb_svc *s = k->queued;

	k->queued = NULL;
	if (s == NULL || !ok)
		return;
	memcpy(s->slot, s->next, s->nslots * sizeof(*s->slot));
	memcpy(s->cut, s->next_cut, s->ks.nmembers * sizeof(*s->cut));
}

void
fw_klb_each(const struct fw_klb *k, fw_klb_member_fn *fn, void *arg)
{
	for (size_t j = 0; j < k->live.n; j++) {
		const struct klb_svc *s = &k->live.v[j];

		for (size_t i = 0; i < s->ks.nmembers; i++) {
			const struct klb_weight *r = weight_find(k, s->ks.name,
			    s->ks.members[i].name);
			unsigned n = 0;

			for (unsigned x = 0; x < s->nslots; x++)
				n += s->slot[x] == (int)i;
			fn(&s->ks, i, r != NULL ? r->weight :
			    s->ks.members[i].weight * EDGED_KWEIGHT_SCALE, n,
			    s->nslots, s->cut[i], arg);
		}
	}
}

/* s's whole map and cut set, emptied first */
static int
queue_whole(const struct klb_svc *s, struct fw_nl *nl)
{
	const struct edged_kservice *ks = &s->ks;
	size_t cap = s->nslots > ks->nmembers ? s->nslots : ks->nmembers;
	struct fw_nl_elem *add = mem_array(cap ? cap : 1, sizeof(*add));
	char set[EDGED_KNAME_MAX + 4];
	size_t n = 0;
	int rc = -1;

	if (add == NULL)
		return -1;
	for (unsigned i = 0; i < s->nslots; i++) {
		uint32_t key = i;

		if (s->slot[i] < 0)
			continue;
		memcpy(add[n].key, &key, 4);
		add[n].keylen = 4;
		add[n].datalen = member_bytes(add[n].data,
		    &ks->members[s->slot[i]].addr);
		n++;
	}
	/* a map kept from the table before holds the slots it had */
	snprintf(set, sizeof(set), "k_%s", ks->name);
	if (fw_nl_flush(nl, set) < 0 || (n > 0 && fw_nl_elems_raw(nl, set,
	    true, add, n) < 0))
		goto out;
	n = 0;
	for (size_t i = 0; i < ks->nmembers; i++) {
		if (!s->cut[i])
			continue;
		add[n].keylen = member_bytes(add[n].key, &ks->members[i].addr);
		add[n++].datalen = 0;
	}
	snprintf(set, sizeof(set), "kc_%s", ks->name);
	if (fw_nl_flush(nl, set) < 0 || (n > 0 && fw_nl_elems_raw(nl, set,
	    true, add, n) < 0))
		goto out;
	rc = 0;
out:
	free(add);
	return rc;
}

int
fw_klb_queue_ready(const struct fw_klb *k, struct fw_nl *nl)
{
	for (size_t i = 0; i < k->ready.n; i++)
		if (queue_whole(&k->ready.v[i], nl) < 0)
			return -1;
	return 0;
}
