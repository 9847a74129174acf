/*
 * lb/shm.c - see shm.h.
 */
#include <stdio.h>
#include <string.h>

#include "rule_conf.h"
#include "shm.h"

#define ALIGN(n)	(((n) + 63) & ~(size_t)63)

struct layout {
	size_t nobj, nmembers;
	size_t off_dir, off_ctr, off_base, off_members, size;
};

static size_t
count_members(const struct lb_conf *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->npools; i++)
		n += c->pools[i].nmembers;
	return n;
}

static struct layout
layout_of(const struct lb_conf *c, unsigned nthreads)
{
	struct layout l;

	l.nmembers = count_members(c);
	l.nobj = c->nvservers + c->npools + l.nmembers + c->nrule_ctrs;
	l.off_dir = ALIGN(sizeof(struct lb_shm_hdr));
	l.off_ctr = ALIGN(l.off_dir + l.nobj * sizeof(struct lb_shm_obj));
	l.off_base = ALIGN(l.off_ctr + (size_t)nthreads * l.nobj *
	    sizeof(struct lb_ctr));
	l.off_members = ALIGN(l.off_base + l.nobj * sizeof(struct lb_ctr));
	l.size = ALIGN(l.off_members + l.nmembers *
	    sizeof(struct lb_member_state));
	return l;
}

size_t
lb_shm_size(const struct lb_conf *c, unsigned nthreads)
{
	return layout_of(c, nthreads).size;
}

static void
view_of(struct lb_shm *v, void *mem)
{
	char *p = mem;

	v->hdr = mem;
	v->dir = (struct lb_shm_obj *)(p + v->hdr->off_dir);
	v->ctr = (struct lb_ctr *)(p + v->hdr->off_ctr);
	v->base = (struct lb_ctr *)(p + v->hdr->off_base);
	v->members = (struct lb_member_state *)(p + v->hdr->off_members);
}

static void
name_obj(struct lb_shm_obj *o, enum lb_obj_kind kind, const char *pool,
    const char *name)
{
	o->kind = kind;
	snprintf(o->pool, sizeof(o->pool), "%s", pool);
	snprintf(o->name, sizeof(o->name), "%s", name);
}

void
lb_shm_init(struct lb_shm *v, void *mem, const struct lb_conf *c,
    unsigned nthreads)
{
	struct layout l = layout_of(c, nthreads);
	struct lb_shm_hdr *h = mem;
	size_t k = 0;

	*h = (struct lb_shm_hdr){ .magic = LB_SHM_MAGIC,
	    .version = LB_SHM_VERSION, .nthreads = nthreads,
	    .nvs = (uint32_t)c->nvservers, .npools = (uint32_t)c->npools,
	    .nmembers = (uint32_t)l.nmembers, .nobj = (uint32_t)l.nobj,
	    .nrules = (uint32_t)c->nrule_ctrs,
	    .size = l.size, .off_dir = l.off_dir, .off_ctr = l.off_ctr,
	    .off_base = l.off_base, .off_members = l.off_members };
	view_of(v, mem);
	for (size_t i = 0; i < c->nvservers; i++)
		name_obj(&v->dir[k++], LB_OBJ_VS, "", c->vservers[i].name);
	for (size_t i = 0; i < c->npools; i++)
		name_obj(&v->dir[k++], LB_OBJ_POOL, "", c->pools[i].name);
	for (size_t i = 0; i < c->npools; i++)
		for (size_t j = 0; j < c->pools[i].nmembers; j++)
			name_obj(&v->dir[k++], LB_OBJ_MEMBER, c->pools[i].name,
			    c->pools[i].members[j].name);
	for (size_t i = 0; i < c->nrule_blocks; i++) {
		const struct lb_rule_block *b = &c->rule_blocks[i];
		char key[LB_NAME_MAX];

		for (size_t j = 0; j < b->set.nrules; j++) {
			lb_rule_key(b, j, key, sizeof(key));
			name_obj(&v->dir[k++], LB_OBJ_RULE, b->set.name, key);
		}
	}
}

int
lb_shm_attach(struct lb_shm *v, void *mem, size_t len,
    const struct lb_conf *c)
{
	const struct lb_shm_hdr *h = mem;
	struct layout l;

	if (len < sizeof(*h) || h->magic != LB_SHM_MAGIC ||
	    h->version != LB_SHM_VERSION || h->size > len)
		return -1;
	if (c == NULL) {
		/* a block from another process: its own header says */
		if (h->nobj != (uint64_t)h->nvs + h->npools + h->nmembers +
		    h->nrules ||
		    h->off_members + (uint64_t)h->nmembers *
		    sizeof(struct lb_member_state) > h->size ||
		    h->off_base + (uint64_t)h->nobj * sizeof(struct lb_ctr) >
		    h->off_members || h->off_ctr + (uint64_t)h->nthreads *
		    h->nobj * sizeof(struct lb_ctr) > h->off_base ||
		    h->off_dir + (uint64_t)h->nobj *
		    sizeof(struct lb_shm_obj) > h->off_ctr)
			return -1;
	} else {
		l = layout_of(c, h->nthreads);
		if (h->nvs != c->nvservers || h->npools != c->npools ||
		    h->nmembers != l.nmembers || h->nrules != c->nrule_ctrs ||
		    h->size != l.size ||
		    h->off_dir != l.off_dir || h->off_ctr != l.off_ctr ||
		    h->off_base != l.off_base ||
		    h->off_members != l.off_members)
			return -1;
	}
	view_of(v, mem);
	return 0;
}

void
lb_sum_add(struct lb_sum *s, struct lb_ctr *c)
{
	s->cur += lb_ctr_ld(&c->cur);
	s->total += lb_ctr_ld(&c->total);
	s->requests += lb_ctr_ld(&c->requests);
	s->bytes_in += lb_ctr_ld(&c->bytes_in);
	s->bytes_out += lb_ctr_ld(&c->bytes_out);
	for (int i = 0; i < 6; i++)
		s->resp[i] += lb_ctr_ld(&c->resp[i]);
	s->errors += lb_ctr_ld(&c->errors);
	for (int i = 0; i < LB_TLS_CTRS; i++)
		s->tls[i] += lb_ctr_ld(&c->tls[i]);
}

struct lb_sum
lb_shm_sum(const struct lb_shm *v, size_t i)
{
	struct lb_sum s = { 0 };

	for (unsigned t = 0; t < v->hdr->nthreads; t++)
		lb_sum_add(&s, lb_shm_ctr(v, t, i));
	return s;
}
