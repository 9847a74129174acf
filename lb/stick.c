/*
 * lb/stick.c - see stick.h.
 *
 * A slot is a fixed part (links, hash, last use, key length), then room
 * for key_len key bytes, then the data the table stores, each at an
 * offset its geometry decides (lb_stick's off_*).  Links are slot
 * numbers + 1, 0 ending a list.  A shard owns a run of slots: those past
 * its `fresh` mark it never used (so that a new table touches only the
 * memory it fills), those it freed are on its free list, the others are
 * entries, on one hash chain each and on its LRU list, from the most
 * recently used (head) to the least (tail).  As entries are marked used
 * at their caller's now, the tail also holds those expired first.
 *
 * Everything a shard's lock guards is its own: its struct, buckets and
 * slots.  A process that dies holding the lock may leave them half
 * changed; the next locker gets EOWNERDEAD and empties the shard, which
 * is consistent whatever state it was left in.  A link that points out
 * of its shard's slots is a bug: it aborts the process, whose death
 * leaves the lock to the next locker, which empties the shard.  The
 * header is written once, by lb_stick_init, but for its repairs count.
 *
 * Rates are HAProxy's frequency counters (freq_ctr.c): events in the
 * current period and in the previous one; read as curr + prev * (the
 * part of the current period still to come), except that a previous
 * count of 0 or 1 with nothing yet in the current period reads as it
 * is, so that low rates do not flap.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "stick.h"

#define STICK_MAGIC	0x6b637473u	/* "stck" */
#define STICK_VERSION	1u
#define ALIGN8(n)	(((n) + 7) & ~(uint64_t)7)
#define ALIGN64(n)	(((n) + 63) & ~(uint64_t)63)
#define SHARD_BYTES	128	/* two cache lines: no false sharing */
#define SHARDS_DEFAULT	64
#define SHARD_MIN	16	/* default shards: entries each, at least */
#define EVICT_SCAN	8	/* LRU entries looked at for one without
				 * connections */
#define WALK_BATCH	16	/* entries copied per lock hold */
#define WALK_SCAN	256	/* slots looked at per lock hold */
#define LOCK_WAIT_MS	1000	/* then a shard's holder is stuck */

struct lb_stick_hdr {
	uint32_t magic;			/* lb_stick_init's last write */
	uint32_t version;
	uint32_t mutex_size;		/* the locks' ABI */
	uint32_t stride;
	struct lb_stick_geom geom;	/* with its defaults in */
	uint32_t nbuckets;
	uint64_t seed[2];		/* the hash's key */
	uint64_t off_shards, off_buckets, off_slots, total;
	_Atomic uint64_t repairs;
};

struct lb_stick_shard {
	union {
		struct {
			pthread_mutex_t lock;	/* first: tests hold it */
			uint32_t head, tail;	/* LRU: newest, oldest */
			uint32_t free;		/* freed slots, by next */
			uint32_t fresh;		/* slots used so far */
			uint32_t used;		/* entries */
		};
		char line[SHARD_BYTES];
	};
};

_Static_assert(offsetof(struct lb_stick_hdr, seed) == 56,
    "no padding in the header");
_Static_assert(sizeof(struct lb_stick_shard) == SHARD_BYTES,
    "a shard is two cache lines");

struct slot {
	uint32_t hnext;			/* hash chain */
	uint32_t prev, next;		/* LRU list; free list: next */
	uint32_t hash;			/* the key's hash, low 32 bits */
	uint64_t touched;		/* last marked used, now_ms */
	uint16_t keylen;
	uint8_t live;			/* an entry, not a freed slot */
	uint8_t pad[5];
};					/* then the key, then the data */

_Static_assert(sizeof(struct slot) == 32, "a slot's fixed part");

struct freq {
	uint64_t tick;			/* the current period's start */
	uint32_t curr, prev;		/* events in it, in the previous */
};

/* A key as looked up: the caller's bytes, or an IPv4 address mapped. */
struct key {
	const unsigned char *p;
	size_t len;
	uint64_t hash;
	unsigned char mapped[16];
};

/* One shard, locked, and its run of slots. */
struct op {
	struct lb_stick *t;
	struct lb_stick_shard *sh;
	uint32_t *buckets;
	uint32_t first, cap;
};

struct layout {
	uint64_t off_shards, off_buckets, off_slots, total;
};

static const uint32_t rate_store[LB_STICK_RATES] = {
	[LB_STICK_R_CONN] = LB_STICK_CONN_RATE,
	[LB_STICK_R_HTTP_REQ] = LB_STICK_HTTP_REQ_RATE,
	[LB_STICK_R_HTTP_ERR] = LB_STICK_HTTP_ERR_RATE,
};

/* A broken invariant of this module: a bug, never input. */
static void
must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "edged: lb/stick: %s\n", what);
		abort();
	}
}

static int
fail(int err)
{
	errno = err;
	return -1;
}

/* SipHash-1-3, keyed by the table's seed: chains stay short whatever
 * keys clients choose. */
static uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static void
sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
}

static uint64_t
sip_hash(const uint64_t k[2], const unsigned char *p, size_t len)
{
	uint64_t v[4] = { k[0] ^ 0x736f6d6570736575ULL,
	    k[1] ^ 0x646f72616e646f6dULL, k[0] ^ 0x6c7967656e657261ULL,
	    k[1] ^ 0x7465646279746573ULL };
	uint64_t m, last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		sip_absorb(v, le64toh(m));
	}
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	sip_absorb(v, last);
	v[2] ^= 0xff;
	for (int r = 0; r < 3; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* g with its defaults in, checked.  Returns 0, or -1 when not valid. */
static int
resolve(struct lb_stick_geom *g)
{
	if (g->type == LB_STICK_IP) {
		if (g->key_len != 0 && g->key_len != 16)
			return -1;
		g->key_len = 16;
	} else if (g->type == LB_STICK_STRING) {
		if (g->key_len == 0)
			g->key_len = LB_STICK_STRING_LEN;
		if (g->key_len > LB_STICK_KEY_MAX)
			return -1;
	} else
		return -1;
	if (g->size == 0 || g->size > LB_STICK_SIZE_MAX ||
	    (g->store & ~(uint32_t)LB_STICK_STORE_ALL) != 0 ||
	    g->expire_ms > LB_STICK_MS_MAX)
		return -1;
	for (int r = 0; r < LB_STICK_RATES; r++) {
		if (!(g->store & rate_store[r]))
			g->period[r] = 0;
		else if (g->period[r] == 0 || g->period[r] > LB_STICK_MS_MAX)
			return -1;
	}
	if (g->nshards == 0) {
		g->nshards = 1;
		while (g->nshards * 2 <= SHARDS_DEFAULT &&
		    g->nshards * 2 * SHARD_MIN <= g->size)
			g->nshards *= 2;
	}
	if (g->nshards > LB_STICK_SHARDS_MAX || g->nshards > g->size ||
	    (g->nshards & (g->nshards - 1)) != 0)
		return -1;
	return 0;
}

/* Where the data go in a slot. */
static void
plan_slot(struct lb_stick *t)
{
	const struct lb_stick_geom *g = &t->geom;
	uint32_t off = sizeof(struct slot) + (uint32_t)ALIGN8(g->key_len);

	for (int r = 0; r < LB_STICK_RATES; r++) {
		t->off_rate[r] = 0;
		if (g->store & rate_store[r]) {
			t->off_rate[r] = off;
			off += sizeof(struct freq);
		}
	}
	t->off_conn_cur = t->off_gpc0 = 0;
	if (g->store & LB_STICK_CONN_CUR) {
		t->off_conn_cur = off;
		off += sizeof(uint32_t);
	}
	if (g->store & LB_STICK_GPC0) {
		t->off_gpc0 = off;
		off += sizeof(uint32_t);
	}
	t->stride = (size_t)ALIGN8(off);
}

/* Fills t's geometry and what derives from it, and l, for g.  Returns 0,
 * or -1 when g is not valid or the table would not fit in memory. */
static int
plan(struct lb_stick *t, const struct lb_stick_geom *g, struct layout *l)
{
	uint32_t cap;

	memset(t, 0, sizeof(*t));
	t->geom = *g;
	if (resolve(&t->geom) < 0)
		return -1;
	plan_slot(t);
	t->per_shard = t->geom.size / t->geom.nshards;
	t->extra = t->geom.size % t->geom.nshards;
	while ((1u << t->shard_bits) < t->geom.nshards)
		t->shard_bits++;
	cap = t->per_shard + (t->extra != 0);
	t->nbuckets = 1;
	while (t->nbuckets < cap)
		t->nbuckets *= 2;
	l->off_shards = ALIGN64(sizeof(struct lb_stick_hdr));
	l->off_buckets = l->off_shards +
	    (uint64_t)t->geom.nshards * sizeof(struct lb_stick_shard);
	l->off_slots = ALIGN64(l->off_buckets +
	    (uint64_t)t->geom.nshards * t->nbuckets * sizeof(uint32_t));
	l->total = ALIGN64(l->off_slots + (uint64_t)t->geom.size * t->stride);
	return l->total <= SIZE_MAX ? 0 : -1;
}

size_t
lb_stick_size(const struct lb_stick_geom *g)
{
	struct lb_stick t;
	struct layout l;

	if (plan(&t, g, &l) < 0)
		return 0;
	return (size_t)l.total;
}

/* The view's pointers into the block at mem. */
static void
view_of(struct lb_stick *t, void *mem, const struct layout *l)
{
	unsigned char *p = mem;

	t->hdr = mem;
	t->shards = (struct lb_stick_shard *)(void *)(p + l->off_shards);
	t->buckets = (uint32_t *)(void *)(p + l->off_buckets);
	t->slots = p + l->off_slots;
}

static int
seed(uint64_t out[2])
{
	ssize_t n;

	do
		n = getrandom(out, 2 * sizeof(uint64_t), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != 2 * sizeof(uint64_t))
		return fail(EIO);
	return 0;
}

/* Process-shared robust mutexes for every shard.  Returns 0, or -1 with
 * errno, none left made. */
static int
init_locks(struct lb_stick *t)
{
	pthread_mutexattr_t a;
	uint32_t i = 0;
	int e;

	if ((e = pthread_mutexattr_init(&a)) != 0)
		return fail(e);
	if ((e = pthread_mutexattr_setpshared(&a,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) != 0)
		goto destroy_attr;
	for (; i < t->geom.nshards; i++)
		if ((e = pthread_mutex_init(&t->shards[i].lock, &a)) != 0)
			goto destroy_locks;
	pthread_mutexattr_destroy(&a);
	return 0;

destroy_locks:
	while (i-- > 0)
		pthread_mutex_destroy(&t->shards[i].lock);
destroy_attr:
	pthread_mutexattr_destroy(&a);
	return fail(e);
}

int
lb_stick_init(void *mem, size_t len, const struct lb_stick_geom *g)
{
	struct lb_stick t;
	struct layout l;
	struct lb_stick_hdr *h = mem;

	if (mem == NULL || (uintptr_t)mem % 64 != 0 || plan(&t, g, &l) < 0 ||
	    len < l.total)
		return fail(EINVAL);
	view_of(&t, mem, &l);
	memset(mem, 0, (size_t)l.off_slots);
	if (seed(h->seed) < 0 || init_locks(&t) < 0)
		return -1;
	h->version = STICK_VERSION;
	h->mutex_size = sizeof(pthread_mutex_t);
	h->stride = (uint32_t)t.stride;
	h->geom = t.geom;
	h->nbuckets = t.nbuckets;
	h->off_shards = l.off_shards;
	h->off_buckets = l.off_buckets;
	h->off_slots = l.off_slots;
	h->total = l.total;
	atomic_thread_fence(memory_order_release);
	h->magic = STICK_MAGIC;
	return 0;
}

/* Whether the table's geometry g is the one wanted, w (its defaults in:
 * nshards 0 when any will do). */
static bool
geom_matches(const struct lb_stick_geom *g, const struct lb_stick_geom *w)
{
	return g->type == w->type && g->key_len == w->key_len &&
	    g->size == w->size && g->store == w->store &&
	    memcmp(g->period, w->period, sizeof(g->period)) == 0 &&
	    (w->nshards == 0 || g->nshards == w->nshards);
}

/* want with its defaults in, nshards left 0 when any will do. */
static int
resolve_want(const struct lb_stick_geom *want, struct lb_stick_geom *w)
{
	*w = *want;
	if (resolve(w) < 0)
		return -1;
	w->nshards = want->nshards;
	return 0;
}

int
lb_stick_attach(struct lb_stick *t, void *mem, size_t len,
    const struct lb_stick_geom *want)
{
	const struct lb_stick_hdr *h = mem;
	struct lb_stick_geom g, w;
	struct layout l;

	if (mem == NULL || (uintptr_t)mem % 64 != 0 || len < sizeof(*h) ||
	    h->magic != STICK_MAGIC || h->version != STICK_VERSION ||
	    h->mutex_size != sizeof(pthread_mutex_t))
		return fail(EINVAL);
	atomic_thread_fence(memory_order_acquire);
	g = h->geom;
	if (plan(t, &g, &l) < 0 ||
	    memcmp(&t->geom, &g, sizeof(g)) != 0 ||
	    h->stride != t->stride || h->nbuckets != t->nbuckets ||
	    h->off_shards != l.off_shards || h->off_buckets != l.off_buckets ||
	    h->off_slots != l.off_slots || h->total != l.total ||
	    l.total > len)
		return fail(EINVAL);
	if (want != NULL) {
		if (resolve_want(want, &w) < 0 || !geom_matches(&g, &w))
			return fail(EINVAL);
		t->geom.expire_ms = w.expire_ms;
	}
	view_of(t, mem, &l);
	return 0;
}

int
lb_stick_key_ip(const struct sockaddr *sa, unsigned char out[16])
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)
	    (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)
	    (const void *)sa;

	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &sin6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

int
lb_stick_key_text(const struct lb_stick_geom *g, const char *s, size_t n,
    unsigned char *key, size_t *keylen)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a = { 0 };
	char text[INET6_ADDRSTRLEN];

	if (g->type == LB_STICK_STRING) {
		*keylen = n < g->key_len ? n : g->key_len;
		memcpy(key, s, *keylen);
		return 0;
	}
	if (n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &a.sin.sin_addr) == 1)
		a.sa.sa_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &a.sin6.sin6_addr) == 1)
		a.sa.sa_family = AF_INET6;
	else
		return -1;
	*keylen = 16;
	return lb_stick_key_ip(&a.sa, key);
}

/* k for the caller's key, hashed.  Returns 0, or -1 with errno. */
static int
key_make(const struct lb_stick *t, const void *key, size_t keylen,
    struct key *k)
{
	if (key == NULL)
		return fail(EINVAL);
	k->p = key;
	k->len = keylen;
	if (t->geom.type == LB_STICK_IP) {
		if (keylen == 4) {
			memset(k->mapped, 0, 10);
			k->mapped[10] = k->mapped[11] = 0xff;
			memcpy(k->mapped + 12, key, 4);
			k->p = k->mapped;
			k->len = 16;
		} else if (keylen != 16)
			return fail(EINVAL);
	} else if (k->len > t->geom.key_len)
		k->len = t->geom.key_len;
	k->hash = sip_hash(t->hdr->seed, k->p, k->len);
	return 0;
}

/* The slot of ref, which must be in o's shard. */
static struct slot *
slot_at(const struct op *o, uint32_t ref)
{
	must(ref - 1 - o->first < o->cap, "a link out of its shard");
	return (struct slot *)(void *)(o->t->slots +
	    (size_t)(ref - 1) * o->t->stride);
}

static unsigned char *
slot_key(struct slot *s)
{
	return (unsigned char *)(s + 1);
}

static uint32_t *
slot_u32(struct slot *s, uint32_t off)
{
	return (uint32_t *)(void *)((unsigned char *)s + off);
}

static struct freq *
slot_rate(const struct lb_stick *t, struct slot *s, int r)
{
	if (t->off_rate[r] == 0)
		return NULL;
	return (struct freq *)(void *)((unsigned char *)s + t->off_rate[r]);
}

static uint32_t
conn_cur(const struct lb_stick *t, struct slot *s)
{
	return t->off_conn_cur ? *slot_u32(s, t->off_conn_cur) : 0;
}

/* An entry untouched for expire_ms goes, unless connections keep it. */
static bool
expired(const struct lb_stick *t, struct slot *s, uint64_t now)
{
	if (t->geom.expire_ms == 0 || now < s->touched + t->geom.expire_ms)
		return false;
	return conn_cur(t, s) == 0;
}

/* o->sh emptied: consistent whatever state it was in. */
static void
shard_empty(struct op *o)
{
	memset(o->buckets, 0, (size_t)o->t->nbuckets * sizeof(uint32_t));
	o->sh->head = o->sh->tail = o->sh->free = 0;
	o->sh->fresh = o->sh->used = 0;
}

/* Takes lock, waiting LOCK_WAIT_MS at most: a holder that long is
 * stopped (SIGSTOP, a debugger), and an event loop must not wait for it.
 * Returns 0, EOWNERDEAD (taken), or an error. */
static int
lock_wait(pthread_mutex_t *lock)
{
	struct timespec ts;
	int e = pthread_mutex_trylock(lock);

	if (e != EBUSY)
		return e;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return errno;
	ts.tv_sec += LOCK_WAIT_MS / 1000;
	ts.tv_nsec += (LOCK_WAIT_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(lock, &ts);
}

/* Locks shard i into o; empties it when its last owner died holding
 * it.  Returns 0, or -1 with errno. */
static int
shard_lock(struct lb_stick *t, uint32_t i, struct op *o)
{
	int e;

	o->t = t;
	o->sh = &t->shards[i];
	o->buckets = t->buckets + (size_t)i * t->nbuckets;
	o->first = i * t->per_shard + (i < t->extra ? i : t->extra);
	o->cap = t->per_shard + (i < t->extra);
	e = lock_wait(&o->sh->lock);
	if (e == EOWNERDEAD) {
		shard_empty(o);
		atomic_fetch_add_explicit(&t->hdr->repairs, 1,
		    memory_order_relaxed);
		e = pthread_mutex_consistent(&o->sh->lock);
		must(e == 0, "marking a shard's lock consistent");
	}
	if (e != 0)
		return fail(e);
	return 0;
}

static void
shard_unlock(struct op *o)
{
	must(pthread_mutex_unlock(&o->sh->lock) == 0, "unlocking a shard");
}

/* The shard of a hash: its top bits; buckets take the low ones. */
static uint32_t
shard_of(const struct lb_stick *t, uint64_t hash)
{
	return t->shard_bits ? (uint32_t)(hash >> (64 - t->shard_bits)) : 0;
}

static uint32_t *
bucket_of(const struct op *o, uint32_t hash)
{
	return &o->buckets[hash & (o->t->nbuckets - 1)];
}

/* The entry of k in o's shard, or 0. */
static uint32_t
find(const struct op *o, const struct key *k)
{
	uint32_t ref = *bucket_of(o, (uint32_t)k->hash);
	uint32_t n = 0;

	while (ref != 0) {
		struct slot *s = slot_at(o, ref);

		if (s->hash == (uint32_t)k->hash && s->keylen == k->len &&
		    memcmp(slot_key(s), k->p, k->len) == 0)
			return ref;
		must(++n <= o->cap, "a hash chain loops");
		ref = s->hnext;
	}
	return 0;
}

static void
unhash(const struct op *o, uint32_t ref, struct slot *s)
{
	uint32_t *link = bucket_of(o, s->hash);
	uint32_t n = 0;

	while (*link != ref) {
		must(*link != 0 && ++n <= o->cap, "an entry off its chain");
		link = &slot_at(o, *link)->hnext;
	}
	*link = s->hnext;
}

static void
lru_unlink(const struct op *o, struct slot *s)
{
	if (s->prev != 0)
		slot_at(o, s->prev)->next = s->next;
	else
		o->sh->head = s->next;
	if (s->next != 0)
		slot_at(o, s->next)->prev = s->prev;
	else
		o->sh->tail = s->prev;
}

static void
lru_push(const struct op *o, uint32_t ref, struct slot *s)
{
	s->prev = 0;
	s->next = o->sh->head;
	if (o->sh->head != 0)
		slot_at(o, o->sh->head)->prev = ref;
	else
		o->sh->tail = ref;
	o->sh->head = ref;
}

/* ref's entry removed; its slot on the free list. */
static void
entry_free(const struct op *o, uint32_t ref, struct slot *s)
{
	must(s->live && o->sh->used > 0, "freeing a free slot");
	unhash(o, ref, s);
	lru_unlink(o, s);
	s->live = 0;
	s->next = o->sh->free;
	o->sh->free = ref;
	o->sh->used--;
}

/* The entry a full shard gives up: the least recently used without
 * connections among the last EVICT_SCAN, else the least recently used. */
static uint32_t
victim(const struct op *o)
{
	uint32_t ref = o->sh->tail;

	for (int i = 0; i < EVICT_SCAN && ref != 0; i++) {
		struct slot *s = slot_at(o, ref);

		if (conn_cur(o->t, s) == 0)
			return ref;
		ref = s->prev;
	}
	must(o->sh->tail != 0, "a full shard without entries");
	return o->sh->tail;
}

/* A slot for a new entry: a freed one, one never used, or the victim's. */
static uint32_t
slot_alloc(const struct op *o)
{
	struct slot *s;
	uint32_t ref;

	if (o->sh->free == 0 && o->sh->fresh >= o->cap) {
		ref = victim(o);
		entry_free(o, ref, slot_at(o, ref));
	}
	if (o->sh->free != 0) {
		ref = o->sh->free;
		s = slot_at(o, ref);
		must(!s->live, "an entry on the free list");
		o->sh->free = s->next;
	} else
		ref = o->first + ++o->sh->fresh;
	o->sh->used++;
	return ref;
}

/* s's data as new: counts 0, periods starting now. */
static void
data_reset(const struct lb_stick *t, struct slot *s, uint64_t now)
{
	size_t off = sizeof(*s) + (size_t)ALIGN8(t->geom.key_len);

	memset((unsigned char *)s + off, 0, t->stride - off);
	for (int r = 0; r < LB_STICK_RATES; r++) {
		struct freq *f = slot_rate(t, s, r);

		if (f != NULL)
			f->tick = now;
	}
}

/* A new entry for k, the most recently used. */
static uint32_t
entry_new(const struct op *o, const struct key *k, uint64_t now)
{
	uint32_t ref = slot_alloc(o);
	struct slot *s = slot_at(o, ref);
	uint32_t *bucket = bucket_of(o, (uint32_t)k->hash);

	s->hash = (uint32_t)k->hash;
	s->hnext = *bucket;
	*bucket = ref;
	s->keylen = (uint16_t)k->len;
	memcpy(slot_key(s), k->p, k->len);
	s->live = 1;
	s->touched = now;
	data_reset(o->t, s, now);
	lru_push(o, ref, s);
	return ref;
}

/* A new period once the current one is over; none carried over once
 * two are. */
static void
freq_rotate(struct freq *f, uint64_t now, uint32_t period)
{
	if (now < f->tick || now - f->tick < period)
		return;
	if (now - f->tick < 2 * (uint64_t)period) {
		f->prev = f->curr;
		f->tick += period;
	} else {
		f->prev = 0;
		f->tick = now;
	}
	f->curr = 0;
}

static void
freq_add(struct freq *f, uint64_t now, uint32_t period)
{
	freq_rotate(f, now, period);
	if (f->curr < UINT32_MAX)
		f->curr++;
}

static uint32_t
freq_read(const struct freq *f, uint64_t now, uint32_t period)
{
	struct freq c = *f;
	uint64_t elapsed, v;

	freq_rotate(&c, now, period);
	if (c.curr == 0 && c.prev <= 1)
		return c.prev;
	elapsed = now > c.tick ? now - c.tick : 0;
	v = c.curr + (uint64_t)c.prev * (period - elapsed) / period;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint32_t
rate_read(const struct lb_stick *t, struct slot *s, int r, uint64_t now)
{
	struct freq *f = slot_rate(t, s, r);

	return f != NULL ? freq_read(f, now, t->geom.period[r]) : 0;
}

static void
vals_of(const struct lb_stick *t, struct slot *s, uint64_t now,
    struct lb_stick_vals *v)
{
	uint64_t end = s->touched + t->geom.expire_ms;

	v->conn_cur = conn_cur(t, s);
	v->conn_rate = rate_read(t, s, LB_STICK_R_CONN, now);
	v->http_req_rate = rate_read(t, s, LB_STICK_R_HTTP_REQ, now);
	v->http_err_rate = rate_read(t, s, LB_STICK_R_HTTP_ERR, now);
	v->gpc0 = t->off_gpc0 ? *slot_u32(s, t->off_gpc0) : 0;
	if (t->geom.expire_ms == 0)
		v->exp_ms = LB_STICK_NEVER;
	else
		v->exp_ms = now < end ? (uint32_t)(end - now) : 0;
}

static void
inc_u32(uint32_t *c)
{
	if (*c < UINT32_MAX)
		(*c)++;
}

static void
count(const struct lb_stick *t, struct slot *s, uint64_t now, unsigned what)
{
	static const unsigned ev_rate[LB_STICK_RATES] = {
		[LB_STICK_R_CONN] = LB_STICK_EV_CONN,
		[LB_STICK_R_HTTP_REQ] = LB_STICK_EV_REQ,
		[LB_STICK_R_HTTP_ERR] = LB_STICK_EV_ERR,
	};

	for (int r = 0; r < LB_STICK_RATES; r++) {
		struct freq *f = slot_rate(t, s, r);

		if (f != NULL && (what & ev_rate[r]))
			freq_add(f, now, t->geom.period[r]);
	}
	if ((what & LB_STICK_EV_CONN) && t->off_conn_cur)
		inc_u32(slot_u32(s, t->off_conn_cur));
	if ((what & LB_STICK_EV_GPC0) && t->off_gpc0)
		inc_u32(slot_u32(s, t->off_gpc0));
}

/* Key's entry, made if need be, touched, counting what, and its gpc0
 * set to *gpc0 (when not NULL); its values into out (may be NULL). */
static int
entry_op(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, unsigned what, const uint32_t *gpc0,
    struct lb_stick_vals *out)
{
	struct key k;
	struct op o;
	struct slot *s;
	uint32_t ref;

	if (key_make(t, key, keylen, &k) < 0 ||
	    shard_lock(t, shard_of(t, k.hash), &o) < 0)
		return -1;
	ref = find(&o, &k);
	if (ref == 0)
		ref = entry_new(&o, &k, now_ms);
	s = slot_at(&o, ref);
	if (expired(t, s, now_ms))
		data_reset(t, s, now_ms);
	if (o.sh->head != ref) {
		lru_unlink(&o, s);
		lru_push(&o, ref, s);
	}
	if (now_ms > s->touched)
		s->touched = now_ms;
	count(t, s, now_ms, what);
	if (gpc0 != NULL && t->off_gpc0)
		*slot_u32(s, t->off_gpc0) = *gpc0;
	if (out != NULL)
		vals_of(t, s, now_ms, out);
	shard_unlock(&o);
	return 0;
}

int
lb_stick_track(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, unsigned what, struct lb_stick_vals *out)
{
	return entry_op(t, key, keylen, now_ms, what, NULL, out);
}

int
lb_stick_gpc0_set(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, uint32_t val)
{
	return entry_op(t, key, keylen, now_ms, 0, &val, NULL);
}


int
lb_stick_gpc0_inc(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, uint32_t *val)
{
	struct lb_stick_vals v;

	if (lb_stick_track(t, key, keylen, now_ms, LB_STICK_EV_GPC0, &v) < 0)
		return -1;
	if (val != NULL)
		*val = v.gpc0;
	return 0;
}

int
lb_stick_get(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, struct lb_stick_vals *out)
{
	struct key k;
	struct op o;
	struct slot *s;
	uint32_t ref;
	int found = 0;

	if (key_make(t, key, keylen, &k) < 0 ||
	    shard_lock(t, shard_of(t, k.hash), &o) < 0)
		return -1;
	ref = find(&o, &k);
	if (ref != 0 && !expired(t, (s = slot_at(&o, ref)), now_ms)) {
		vals_of(t, s, now_ms, out);
		found = 1;
	}
	shard_unlock(&o);
	return found;
}

void
lb_stick_release_conn(struct lb_stick *t, const void *key, size_t keylen)
{
	struct key k;
	struct op o;
	uint32_t ref, *c;

	if (t->off_conn_cur == 0 || key_make(t, key, keylen, &k) < 0 ||
	    shard_lock(t, shard_of(t, k.hash), &o) < 0)
		return;
	ref = find(&o, &k);
	if (ref != 0) {
		c = slot_u32(slot_at(&o, ref), t->off_conn_cur);
		if (*c > 0)
			(*c)--;
	}
	shard_unlock(&o);
}

static int
clear_all(struct lb_stick *t)
{
	struct op o;
	int n = 0;

	for (uint32_t i = 0; i < t->geom.nshards; i++) {
		if (shard_lock(t, i, &o) < 0)
			return -1;
		n += (int)o.sh->used;
		shard_empty(&o);
		shard_unlock(&o);
	}
	return n;
}

int
lb_stick_clear(struct lb_stick *t, const void *key, size_t keylen)
{
	struct key k;
	struct op o;
	uint32_t ref;

	if (key == NULL)
		return clear_all(t);
	if (key_make(t, key, keylen, &k) < 0 ||
	    shard_lock(t, shard_of(t, k.hash), &o) < 0)
		return -1;
	ref = find(&o, &k);
	if (ref != 0)
		entry_free(&o, ref, slot_at(&o, ref));
	shard_unlock(&o);
	return ref != 0;
}

/* Removes o's expired entries from its LRU tail up.  Returns how many. */
static int
shard_expire(const struct op *o, uint64_t now)
{
	const struct lb_stick *t = o->t;
	uint32_t ref = o->sh->tail;
	int n = 0;

	while (ref != 0) {
		struct slot *s = slot_at(o, ref);
		uint32_t prev = s->prev;

		if (now < s->touched + t->geom.expire_ms)
			break;
		if (conn_cur(t, s) == 0) {
			entry_free(o, ref, s);
			n++;
		}
		ref = prev;
	}
	return n;
}

int
lb_stick_expire(struct lb_stick *t, uint64_t now_ms)
{
	struct op o;
	int n = 0;

	if (t->geom.expire_ms == 0)
		return 0;
	for (uint32_t i = 0; i < t->geom.nshards; i++) {
		if (shard_lock(t, i, &o) < 0)
			return -1;
		n += shard_expire(&o, now_ms);
		shard_unlock(&o);
	}
	return n;
}

/* An entry copied out for lb_stick_walk. */
struct snap {
	unsigned char key[LB_STICK_KEY_MAX];
	size_t keylen;
	struct lb_stick_vals v;
};

/* Copies up to WALK_BATCH live entries of o's shard from slot *pos on
 * into b, looking at WALK_SCAN slots at most.  Returns how many; *pos
 * is past the shard's used slots when it is done. */
static int
walk_batch(const struct op *o, uint64_t now, uint32_t *pos,
    struct snap *b)
{
	uint32_t end = o->sh->fresh;
	int n = 0;

	for (int i = 0; i < WALK_SCAN && *pos < end && n < WALK_BATCH; i++) {
		struct slot *s = slot_at(o, o->first + ++*pos);

		if (!s->live || expired(o->t, s, now))
			continue;
		b[n].keylen = s->keylen;
		memcpy(b[n].key, slot_key(s), s->keylen);
		vals_of(o->t, s, now, &b[n].v);
		n++;
	}
	if (*pos >= end)
		*pos = UINT32_MAX;
	return n;
}

int
lb_stick_walk(struct lb_stick *t, uint64_t now_ms,
    int (*fn)(const void *key, size_t keylen, const struct lb_stick_vals *v,
    void *arg), void *arg)
{
	struct snap b[WALK_BATCH];
	struct op o;
	int n, ret;

	for (uint32_t i = 0; i < t->geom.nshards; i++) {
		uint32_t pos = 0;

		while (pos != UINT32_MAX) {
			if (shard_lock(t, i, &o) < 0)
				return -1;
			n = walk_batch(&o, now_ms, &pos, b);
			shard_unlock(&o);
			for (int j = 0; j < n; j++)
				if ((ret = fn(b[j].key, b[j].keylen, &b[j].v,
				    arg)) != 0)
					return ret;
		}
	}
	return 0;
}

long
lb_stick_used(struct lb_stick *t)
{
	struct op o;
	long n = 0;

	for (uint32_t i = 0; i < t->geom.nshards; i++) {
		if (shard_lock(t, i, &o) < 0)
			return -1;
		n += o.sh->used;
		shard_unlock(&o);
	}
	return n;
}

uint64_t
lb_stick_repairs(const struct lb_stick *t)
{
	return atomic_load_explicit(&t->hdr->repairs, memory_order_relaxed);
}

/* A string key, escaped. */
static int
format_string(const unsigned char *p, size_t len, char *buf, size_t size)
{
	size_t j = 0;
	char e[5];

	for (size_t i = 0; i < len; i++) {
		int n;

		if (p[i] == '\\' || p[i] == '"')
			n = snprintf(e, sizeof(e), "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] > 0x7e)
			n = snprintf(e, sizeof(e), "\\x%02x", p[i]);
		else
			n = snprintf(e, sizeof(e), "%c", p[i]);
		for (int c = 0; c < n; c++, j++)
			if (j + 1 < size)
				buf[j] = e[c];
	}
	if (size > 0)
		buf[j < size ? j : size - 1] = '\0';
	return j > INT_MAX ? -1 : (int)j;
}

int
lb_stick_key_format(enum lb_stick_type type, const void *key,
    size_t keylen, char *buf, size_t size)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const unsigned char *p = key;
	char text[INET6_ADDRSTRLEN];
	const char *s;

	if (type == LB_STICK_STRING)
		return format_string(p, keylen, buf, size);
	if (type != LB_STICK_IP || keylen != 16)
		return -1;
	if (memcmp(p, v4mapped, sizeof(v4mapped)) == 0)
		s = inet_ntop(AF_INET, p + 12, text, sizeof(text));
	else
		s = inet_ntop(AF_INET6, p, text, sizeof(text));
	if (s == NULL)
		return -1;
	return snprintf(buf, size, "%s", text);
}
