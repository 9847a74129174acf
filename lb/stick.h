/*
 * lb/stick.h - stick tables: counters per client address or per string
 * (HAProxy's track-sc and sc_* fetches), shared by every worker thread
 * of every worker process.
 *
 * A table is one block of memory the master creates (a memfd) and every
 * worker maps, old and new generations at once, at whatever address:
 * inside it there are offsets and slot numbers, never pointers.  Kept
 * by name across reloads and upgrades, a block is reused only when its
 * geometry is still the one configured (lb_stick_attach).
 *
 *   header | shards[nshards] | buckets[nshards][nbuckets] |
 *   slots[size]
 *
 * A key's hash picks its shard; each shard has its own lock, hash
 * chains, least-recently-used list and share of the slots (about size /
 * nshards), so that two threads contend only when their keys share a
 * shard, and a full shard evicts its own least recently used entry.
 * The locks are process-shared robust mutexes: a process that dies
 * holding one (killed, crashed) costs the entries of that shard, which
 * the next locker empties, never a deadlock; one stopped holding it
 * (SIGSTOP, a debugger) makes the others give up after a second
 * (ETIMEDOUT) rather than wait.
 *
 * Time is the caller's: now_ms from CLOCK_MONOTONIC (one clock for
 * every process of the machine), so that tests can drive it.
 */
#ifndef EDGED_LB_STICK_H
#define EDGED_LB_STICK_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define LB_STICK_STRING_LEN	32	/* string keys' default length */
#define LB_STICK_KEY_MAX	256	/* longest string key */
#define LB_STICK_SIZE_MAX	(1u << 26)	/* most entries */
#define LB_STICK_SHARDS_MAX	1024
#define LB_STICK_MS_MAX		0x7fffffffu	/* expire, periods: ms */
#define LB_STICK_NEVER		UINT32_MAX	/* lb_stick_vals' exp_ms
						 * when entries never expire */

enum lb_stick_type {
	LB_STICK_IP = 1,	/* 16 bytes: IPv6, IPv4 as ::ffff:a.b.c.d */
	LB_STICK_STRING,	/* up to key_len bytes, longer ones cut */
};

/* What a table keeps per entry: lb_stick_geom's store. */
enum lb_stick_store {
	LB_STICK_CONN_CUR = 1u << 0,	/* connections in progress */
	LB_STICK_CONN_RATE = 1u << 1,	/* connections per period */
	LB_STICK_HTTP_REQ_RATE = 1u << 2,	/* HTTP requests per period */
	LB_STICK_HTTP_ERR_RATE = 1u << 3,	/* HTTP errors per period */
	LB_STICK_GPC0 = 1u << 4,	/* general purpose counter 0 */
	LB_STICK_STORE_ALL = (1u << 5) - 1,
};

/* What one lb_stick_track counts.  Events of data the table does not
 * store count nowhere. */
enum lb_stick_event {
	LB_STICK_EV_CONN = 1u << 0,	/* conn_rate + 1, conn_cur + 1 (give
					 * it back: lb_stick_release_conn) */
	LB_STICK_EV_REQ = 1u << 1,	/* http_req_rate + 1 */
	LB_STICK_EV_ERR = 1u << 2,	/* http_err_rate + 1 */
	LB_STICK_EV_GPC0 = 1u << 3,	/* gpc0 + 1 */
};

/* The rates' periods, in lb_stick_geom's period[]. */
enum lb_stick_rate {
	LB_STICK_R_CONN,
	LB_STICK_R_HTTP_REQ,
	LB_STICK_R_HTTP_ERR,
	LB_STICK_RATES,
};

/*
 * A table's shape, as configured: all of it but expire_ms decides the
 * layout.  Zeros take defaults: key_len LB_STICK_STRING_LEN for strings
 * (16, the only length, for addresses), nshards a power of two up to 64
 * with at least 16 entries a shard, expire_ms never.  The period of a
 * rate not stored must be 0 (or is taken as 0); of a stored one, 1 to
 * LB_STICK_MS_MAX ms.
 */
struct lb_stick_geom {
	uint32_t type;			/* enum lb_stick_type */
	uint32_t key_len;
	uint32_t size;			/* entries, 1..LB_STICK_SIZE_MAX */
	uint32_t store;			/* enum lb_stick_store bits */
	uint32_t period[LB_STICK_RATES];	/* ms */
	uint32_t expire_ms;		/* unused this long, an entry goes */
	uint32_t nshards;		/* a power of two, 1..size */
};

/* One entry's values, as of the call that read them.  Rates are
 * HAProxy's: events in the current period plus those of the previous
 * one in proportion to what is left of the current one. */
struct lb_stick_vals {
	uint32_t conn_cur;
	uint32_t conn_rate;
	uint32_t http_req_rate;
	uint32_t http_err_rate;
	uint32_t gpc0;
	uint32_t exp_ms;		/* ms before it expires; 0: only its
					 * connections keep it; or
					 * LB_STICK_NEVER */
};

struct lb_stick_hdr;
struct lb_stick_shard;

/* A table as mapped in one process: its own memory, pointers into the
 * block and what lb_stick_attach derived.  Callers read geom only. */
struct lb_stick {
	struct lb_stick_geom geom;	/* the block's; expire_ms: t's */
	struct lb_stick_hdr *hdr;
	struct lb_stick_shard *shards;
	uint32_t *buckets;
	unsigned char *slots;
	size_t stride;			/* bytes per slot */
	uint32_t per_shard, extra;	/* slots: per_shard, + 1 in the first
					 * extra shards */
	uint32_t nbuckets;		/* per shard, a power of two */
	uint32_t shard_bits;		/* log2(nshards) */
	uint32_t off_rate[LB_STICK_RATES];	/* in a slot, 0: not stored */
	uint32_t off_conn_cur, off_gpc0;
};

/*
 * The bytes a table of geometry g takes, or 0 when g is not valid (sizes
 * out of range, a period missing).
 */
size_t lb_stick_size(const struct lb_stick_geom *g);

/*
 * Lays out a table of geometry g in the len bytes at mem (at least
 * lb_stick_size(g), any content, 64-byte aligned, shared memory when
 * other processes are to use it): header, process-shared locks, empty
 * hash chains.  The slots are only written as entries are made, so that
 * a large table costs memory as it fills.  Returns 0, or -1 with errno
 * (EINVAL: g not valid or len too small; a pthread or getrandom error).
 * Nothing may use the block while it is laid out.
 */
int lb_stick_init(void *mem, size_t len, const struct lb_stick_geom *g);

/*
 * Fills t for the table in the len bytes at mem (64-byte aligned), laid
 * out by lb_stick_init, maybe by another process or binary.  With want,
 * the table is accepted only if it has want's geometry (type, key_len,
 * size, store, periods; nshards too unless 0), and t expires entries after
 * want->expire_ms; without, it takes the header's.  Returns 0, or -1
 * with errno EINVAL when mem is no such table (garbage, another version,
 * truncated) or another geometry: then the caller makes a new one.
 * t points into mem and needs no release.
 */
int lb_stick_attach(struct lb_stick *t, void *mem, size_t len,
    const struct lb_stick_geom *want);

/*
 * The key in the 16 bytes at out for sa's address (IPv4 as
 * ::ffff:a.b.c.d).  Returns 0, or -1 when sa is neither AF_INET nor
 * AF_INET6.
 */
int lb_stick_key_ip(const struct sockaddr *sa, unsigned char out[16]);

/*
 * The key of the text (n bytes at s) in a table of shape g: for ip, the
 * address it spells (IPv4 or IPv6), as lb_stick_key_ip makes it; for
 * string, its first key_len bytes.  key holds LB_STICK_KEY_MAX bytes;
 * *keylen gets the key's.  Returns 0, or -1 when an ip table's text is
 * no address.
 */
int lb_stick_key_text(const struct lb_stick_geom *g, const char *s, size_t n,
    unsigned char *key, size_t *keylen);

/*
 * Finds the entry of key (keylen bytes: a string, cut to the table's
 * key_len; an address in 4 or 16 bytes), or makes it, taking an unused
 * slot of its shard or else its least recently used entry (one without
 * connections, if one of the last few has none).  Counts the events of
 * what (enum lb_stick_event bits), marks the entry used at now_ms, and
 * copies its values into out (may be NULL), all under one lock hold.
 * Returns 0, or -1 with errno, nothing counted: EINVAL (an address of
 * another length), ETIMEDOUT (the shard's lock held a second: its holder
 * is stopped) or another error of the lock.
 */
int lb_stick_track(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, unsigned what, struct lb_stick_vals *out);

/*
 * Copies the values of key's entry into out without changing anything:
 * the entry is not marked used.  Returns 1, 0 when key has no entry
 * (or an expired one), -1 with errno as lb_stick_track.
 */
int lb_stick_get(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, struct lb_stick_vals *out);

/* Sets gpc0 of key's entry, made if need be and touched (its expiry
 * starts again), to val: what a table of its own keeps for source-ip
 * persistence (the member).  0, or -1 as lb_stick_track. */
int lb_stick_gpc0_set(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, uint32_t val);

/*
 * Adds 1 to gpc0 of key's entry, made if need be, as lb_stick_track with
 * LB_STICK_EV_GPC0; *val (may be NULL) gets the new value.  Returns 0,
 * or -1 with errno as lb_stick_track.
 */
int lb_stick_gpc0_inc(struct lb_stick *t, const void *key, size_t keylen,
    uint64_t now_ms, uint32_t *val);

/*
 * A connection counted by LB_STICK_EV_CONN has ended: conn_cur - 1, when
 * key still has an entry and its conn_cur is not 0 (the entry may have
 * been evicted or cleared since), and its shard can be locked.  The
 * entry is not marked used.  The connections of a process that dies are
 * never given back: its entries stay until eviction finds none better.
 */
void lb_stick_release_conn(struct lb_stick *t, const void *key,
    size_t keylen);

/*
 * Removes key's entry, or every entry when key is NULL.  Returns the
 * number of entries removed, or -1 with errno (a lock's error: entries
 * of other shards may have gone).
 */
int lb_stick_clear(struct lb_stick *t, const void *key, size_t keylen);

/*
 * Removes the entries expired at now_ms (those only connections keep
 * stay), oldest first: a periodic sweep, optional, as lookups and
 * eviction reuse expired entries anyway.  Returns the number removed,
 * or -1 with errno.
 */
int lb_stick_expire(struct lb_stick *t, uint64_t now_ms);

/*
 * Calls fn for every live entry at now_ms, shard by shard, with no lock
 * held: the key (16 bytes for an address) and values are copies, and
 * entries made or removed meanwhile may be missed.  Stops when fn
 * returns non-zero and returns that value; else 0, or -1 with errno.
 */
int lb_stick_walk(struct lb_stick *t, uint64_t now_ms,
    int (*fn)(const void *key, size_t keylen, const struct lb_stick_vals *v,
    void *arg), void *arg);

/* The entries in use (expired ones not yet removed included), or -1
 * with errno. */
long lb_stick_used(struct lb_stick *t);

/* How many times a shard was emptied because a process died holding its
 * lock, since the table was made. */
uint64_t lb_stick_repairs(const struct lb_stick *t);

/*
 * A key as text into buf (size bytes, always NUL-terminated when size is
 * not 0): an address as "192.0.2.1" or "2001:db8::1"; a string with '\',
 * '"' and bytes that do not print escaped as \\, \" and \xHH.  Returns
 * the length it needed, as snprintf; -1 for an unknown type.
 */
int lb_stick_key_format(enum lb_stick_type type, const void *key,
    size_t keylen, char *buf, size_t size);

#endif /* EDGED_LB_STICK_H */
