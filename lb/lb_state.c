/*
 * lb/lb_state.c - see lb_state.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "member.h"
#include "lb_state.h"
#include "mem.h"

static uint64_t
key_hash(const struct lb_shm_obj *o)
{
	uint64_t h = lb_hash_bytes(o->name, strlen(o->name));

	h ^= lb_hash_bytes(o->pool, strlen(o->pool)) * 31 + o->kind;
	return h * 0x9e3779b97f4a7c15ULL;
}

static bool
same(const struct lb_shm_obj *a, const struct lb_shm_obj *b)
{
	return a->kind == b->kind && strcmp(a->pool, b->pool) == 0 &&
	    strcmp(a->name, b->name) == 0;
}

static int
rehash(struct lb_state *st, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < st->n; i++) {
		size_t j = key_hash(&st->v[i].id) & (nslots - 1);

		while (s[j] != 0)
			j = (j + 1) & (nslots - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(st->slots);
	st->slots = s;
	st->nslots = nslots;
	return 0;
}

static int
grow(struct lb_state *st)
{
	size_t cap = st->cap;

	/* tmp and tmp_active follow v; cap, grown from 0, is a power of
	 * two (mem.h), and so is nslots, as the slots' mask needs */
	if (mem_grow(&st->v, &cap, st->n + 1, sizeof(*st->v)) == -1 ||
	    mem_resize(&st->tmp, cap, sizeof(*st->tmp)) == -1 ||
	    mem_resize(&st->tmp_active, cap, sizeof(*st->tmp_active)) == -1)
		return -1;
	st->cap = cap;
	return rehash(st, cap * 2);
}

/* The registry index of o, added when new; -1 out of memory. */
static long
lookup(struct lb_state *st, const struct lb_shm_obj *o)
{
	size_t j;

	if (st->n == st->cap && grow(st) < 0)
		return -1;
	for (j = key_hash(o) & (st->nslots - 1); st->slots[j] != 0;
	    j = (j + 1) & (st->nslots - 1))
		if (same(&st->v[st->slots[j] - 1].id, o))
			return (long)st->slots[j] - 1;
	st->v[st->n] = (struct lb_state_entry){ .id = *o };
	st->slots[j] = (uint32_t)++st->n;
	return (long)st->n - 1;
}

void
lb_state_free(struct lb_state *st)
{
	free(st->v);
	free(st->slots);
	free(st->tmp);
	free(st->tmp_active);
	*st = (struct lb_state){ 0 };
}

static bool
is_member(const struct lb_shm *v, size_t obj, size_t *k)
{
	size_t first = (size_t)v->hdr->nvs + v->hdr->npools;

	*k = obj - first;
	return obj >= first && *k < v->hdr->nmembers;
}

/* Registers b's objects; fills b->entry. */
static int
register_block(struct lb_state *st, struct lb_state_block *b)
{
	uint32_t nobj = b->view.hdr->nobj;

	if ((b->entry = mem_array(nobj, sizeof(*b->entry))) == NULL)
		return -1;
	for (uint32_t i = 0; i < nobj; i++) {
		struct lb_shm_obj o = b->view.dir[i];
		long e;

		/* the names come from another process: terminate them */
		o.pool[sizeof(o.pool) - 1] = '\0';
		o.name[sizeof(o.name) - 1] = '\0';
		if ((e = lookup(st, &o)) < 0)
			return -1;
		b->entry[i] = (uint32_t)e;
	}
	return 0;
}

static void
push_history(const struct lb_state *st, struct lb_state_block *b)
{
	for (uint32_t i = 0; i < b->view.hdr->nobj; i++) {
		const struct lb_state_hist *h = &st->v[b->entry[i]].hist;
		struct lb_member_state *ms;
		size_t k;

		if (!is_member(&b->view, i, &k) || !h->known)
			continue;
		ms = &b->view.members[k];
		atomic_store(&ms->check_result, h->check_result);
		atomic_store(&ms->check_us, h->check_us);
		atomic_store(&ms->transitions, h->transitions);
		atomic_store(&ms->up_since_ms, h->up_since_ms);
	}
}

int
lb_state_block_new(struct lb_state *st, struct lb_state_block *b,
    const struct lb_conf *c, unsigned nthreads)
{
	*b = (struct lb_state_block){ .fd = -1 };
	b->len = lb_shm_size(c, nthreads);
	b->fd = memfd_create("edged-state", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, (off_t)b->len) < 0)
		goto fail;
	b->mem = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    b->fd, 0);
	if (b->mem == MAP_FAILED) {
		b->mem = NULL;
		goto fail;
	}
	lb_shm_init(&b->view, b->mem, c, nthreads);
	if (register_block(st, b) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	push_history(st, b);
	lb_state_publish(st, b);
	return 0;
fail:
	lb_state_block_release(b);
	return -1;
}

void
lb_state_publish(const struct lb_state *st, struct lb_state_block *b)
{
	struct lb_shm_master *bm;

	if (b->mem == NULL)
		return;
	bm = &b->view.hdr->master;
	for (int i = 0; i < LB_RELOAD_RESULTS; i++)
		atomic_store_explicit(&bm->reloads[i], st->master.reloads[i],
		    memory_order_relaxed);
	atomic_store_explicit(&bm->started_ms, st->master.started_ms,
	    memory_order_relaxed);
	atomic_store_explicit(&bm->loaded_ms, st->master.loaded_ms,
	    memory_order_relaxed);
}

int
lb_state_block_adopt(struct lb_state *st, struct lb_state_block *b, int fd)
{
	struct stat sb;

	*b = (struct lb_state_block){ .fd = fd };
	if (fstat(fd, &sb) < 0 || sb.st_size <= 0)
		goto fail;
	b->len = (size_t)sb.st_size;
	b->mem = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b->mem == MAP_FAILED) {
		b->mem = NULL;
		goto fail;
	}
	if (lb_shm_attach(&b->view, b->mem, b->len, NULL) < 0 ||
	    register_block(st, b) < 0)
		goto fail;
	return 0;
fail:
	lb_state_block_release(b);
	return -1;
}

void
lb_state_block_release(struct lb_state_block *b)
{
	if (b->mem != NULL)
		(void)munmap(b->mem, b->len);
	if (b->fd >= 0)
		(void)close(b->fd);
	free(b->entry);
	*b = (struct lb_state_block){ .fd = -1 };
}

void
lb_state_pull_history(struct lb_state *st, const struct lb_state_block *b)
{
	if (b->mem == NULL)
		return;
	for (uint32_t i = 0; i < b->view.hdr->nobj; i++) {
		struct lb_state_hist *h = &st->v[b->entry[i]].hist;
		struct lb_member_state *ms;
		size_t k;

		if (!is_member(&b->view, i, &k))
			continue;
		ms = &b->view.members[k];
		h->known = true;
		h->check_result = atomic_load(&ms->check_result);
		h->check_us = atomic_load(&ms->check_us);
		h->transitions = atomic_load(&ms->transitions);
		h->up_since_ms = atomic_load(&ms->up_since_ms);
	}
}

static void
sum_into(struct lb_sum *d, const struct lb_sum *s)
{
	d->cur += s->cur;
	d->total += s->total;
	d->requests += s->requests;
	d->bytes_in += s->bytes_in;
	d->bytes_out += s->bytes_out;
	for (int i = 0; i < 6; i++)
		d->resp[i] += s->resp[i];
	d->errors += s->errors;
	for (int i = 0; i < LB_TLS_CTRS; i++)
		d->tls[i] += s->tls[i];
}

void
lb_state_fold(struct lb_state *st, const struct lb_state_block *b)
{
	if (b->mem == NULL)
		return;
	for (uint32_t i = 0; i < b->view.hdr->nobj; i++) {
		struct lb_sum s = lb_shm_sum(&b->view, i);

		/* its connections ended with it */
		s.cur = 0;
		sum_into(&st->v[b->entry[i]].carried, &s);
	}
}

static void
store_ctr(struct lb_ctr *c, const struct lb_sum *s)
{
	atomic_store_explicit(&c->cur, s->cur, memory_order_relaxed);
	atomic_store_explicit(&c->total, s->total, memory_order_relaxed);
	atomic_store_explicit(&c->requests, s->requests,
	    memory_order_relaxed);
	atomic_store_explicit(&c->bytes_in, s->bytes_in, memory_order_relaxed);
	atomic_store_explicit(&c->bytes_out, s->bytes_out,
	    memory_order_relaxed);
	for (int i = 0; i < 6; i++)
		atomic_store_explicit(&c->resp[i], s->resp[i],
		    memory_order_relaxed);
	atomic_store_explicit(&c->errors, s->errors, memory_order_relaxed);
	for (int i = 0; i < LB_TLS_CTRS; i++)
		atomic_store_explicit(&c->tls[i], s->tls[i],
		    memory_order_relaxed);
}

void
lb_state_refresh(struct lb_state *st, struct lb_state_block *target,
    struct lb_state_block *const *live, size_t n)
{
	if (target == NULL || target->mem == NULL)
		return;
	for (size_t e = 0; e < st->n; e++) {
		st->tmp[e] = st->v[e].carried;
		st->tmp_active[e] = 0;
	}
	for (size_t w = 0; w < n; w++) {
		const struct lb_state_block *b = live[w];

		if (b == NULL || b == target || b->mem == NULL)
			continue;
		for (uint32_t i = 0; i < b->view.hdr->nobj; i++) {
			struct lb_sum s = lb_shm_sum(&b->view, i);
			size_t k;

			sum_into(&st->tmp[b->entry[i]], &s);
			if (is_member(&b->view, i, &k))
				st->tmp_active[b->entry[i]] += atomic_load(
				    &b->view.members[k].active);
		}
	}
	for (uint32_t i = 0; i < target->view.hdr->nobj; i++) {
		size_t k;

		store_ctr(&target->view.base[i], &st->tmp[target->entry[i]]);
		if (is_member(&target->view, i, &k))
			atomic_store(&target->view.members[k].others,
			    st->tmp_active[target->entry[i]]);
	}
}

void
lb_state_save(const struct lb_state *st, FILE *f)
{
	for (size_t e = 0; e < st->n; e++) {
		const struct lb_state_entry *v = &st->v[e];
		const struct lb_sum *s = &v->carried;

		fprintf(f, "entry %" PRIu32 " %s %s %" PRIu64 " %" PRIu64 " %"
		    PRIu64 " %" PRIu64, v->id.kind,
		    v->id.pool[0] ? v->id.pool : "-", v->id.name, s->total,
		    s->requests, s->bytes_in, s->bytes_out);
		for (int i = 0; i < 6; i++)
			fprintf(f, " %" PRIu64, s->resp[i]);
		fprintf(f, " %" PRIu64 " %d %d %u %u %" PRIu64, s->errors,
		    v->hist.known, v->hist.check_result, v->hist.check_us,
		    v->hist.transitions, v->hist.up_since_ms);
		for (int i = 0; i < LB_TLS_CTRS; i++)
			fprintf(f, " %" PRIu64, s->tls[i]);
		fputc('\n', f);
	}
}

/* the line format below names them one by one */
_Static_assert(LB_TLS_CTRS == 3, "state lines carry three TLS counters");

static int
load_entry(struct lb_state *st, const char *line)
{
	struct lb_shm_obj o = { 0 };
	struct lb_sum s = { 0 };
	struct lb_state_hist h = { 0 };
	int known, used = 0, more = 0;
	long e;

	if (sscanf(line, "entry %" SCNu32 " %63s %63s %" SCNu64 " %" SCNu64
	    " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %"
	    SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %d %d %u %u %" SCNu64
	    "%n", &o.kind, o.pool, o.name, &s.total, &s.requests, &s.bytes_in,
	    &s.bytes_out, &s.resp[0], &s.resp[1], &s.resp[2], &s.resp[3],
	    &s.resp[4], &s.resp[5], &s.errors, &known, &h.check_result,
	    &h.check_us, &h.transitions, &h.up_since_ms, &used) != 19 ||
	    o.kind < LB_OBJ_VS || o.kind > LB_OBJ_RULE)
		return -1;
	/* the TLS counters; an older image's lines end before them */
	if (line[used] != '\0' && sscanf(line + used, " %" SCNu64 " %" SCNu64
	    " %" SCNu64 "%n", &s.tls[0], &s.tls[1], &s.tls[2], &more) == 3)
		used += more;
	if (line[used] != '\0')
		return -1;
	if (strcmp(o.pool, "-") == 0)
		o.pool[0] = '\0';
	h.known = known != 0;
	if ((e = lookup(st, &o)) < 0)
		return -1;
	st->v[e].carried = s;
	st->v[e].hist = h;
	return 0;
}

int
lb_state_load_line(struct lb_state *st, const char *line)
{
	return load_entry(st, line);
}
