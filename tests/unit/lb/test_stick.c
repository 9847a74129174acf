/*
 * tests/unit/lb/test_stick.c - stick tables (lb/stick.c alone), in a
 * memfd as the master makes them: keys, HAProxy's rates on a driven
 * clock, expiry, LRU eviction, clearing, what lb_stick_attach refuses;
 * then several threads, and several processes mapping the block at
 * addresses of their own, counting at once (the totals must be exact),
 * a process stuck holding a shard's lock (the others give up on it) and
 * processes killed while they hold one (the others must go on).
 * Suite 'mt' too: tests/run.sh's tsan pass runs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stick.h"

#define THREADS		4
#define PROCS		3
#define ROUNDS		20480	/* a multiple of 2 * OWN_KEYS */
#define SHARED_KEYS	16	/* every thread or process counts here */
#define OWN_KEYS	64	/* and on these, its own */
#define KILLS		20
#define PERIOD		10000	/* ms */
#define DEADLINE	30	/* s: a test that takes longer is stuck */

/* A table in a memfd, mapped here. */
struct tab {
	int fd;
	void *mem;
	size_t len;
	struct lb_stick t;
};

static struct lb_stick_geom
geom(enum lb_stick_type type, uint32_t size, uint32_t nshards,
    uint32_t expire_ms)
{
	return (struct lb_stick_geom){ .type = type, .size = size,
	    .store = LB_STICK_STORE_ALL,
	    .period = { PERIOD, PERIOD, PERIOD },
	    .expire_ms = expire_ms, .nshards = nshards };
}

static void *
map(int fd, size_t len)
{
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	assert_true(mem != MAP_FAILED);
	return mem;
}

static void
tab_make(struct tab *tb, const struct lb_stick_geom *g)
{
	tb->len = lb_stick_size(g);
	assert_true(tb->len > 0);
	tb->fd = memfd_create("test_stick", MFD_CLOEXEC);
	assert_true(tb->fd >= 0);
	assert_int_equal(ftruncate(tb->fd, (off_t)tb->len), 0);
	tb->mem = map(tb->fd, tb->len);
	assert_int_equal(lb_stick_init(tb->mem, tb->len, g), 0);
	assert_int_equal(lb_stick_attach(&tb->t, tb->mem, tb->len, g), 0);
}

static void
tab_free(struct tab *tb)
{
	assert_int_equal(munmap(tb->mem, tb->len), 0);
	assert_int_equal(close(tb->fd), 0);
}

static void
v4(unsigned char out[4], const char *text)
{
	assert_int_equal(inet_pton(AF_INET, text, out), 1);
}

static void
v6(unsigned char out[16], const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

/* The string key of number i. */
static size_t
skey(char *buf, size_t size, unsigned i)
{
	return (size_t)snprintf(buf, size, "key-%u", i);
}

static uint32_t
req_rate(struct lb_stick *t, const void *key, size_t len, uint64_t now)
{
	struct lb_stick_vals v;

	assert_int_equal(lb_stick_get(t, key, len, now, &v), 1);
	return v.http_req_rate;
}

static bool
present(struct lb_stick *t, const char *key, uint64_t now)
{
	struct lb_stick_vals v;
	int r = lb_stick_get(t, key, strlen(key), now, &v);

	assert_true(r == 0 || r == 1);
	return r == 1;
}

static void
track(struct lb_stick *t, const char *key, uint64_t now, unsigned what)
{
	assert_int_equal(lb_stick_track(t, key, strlen(key), now, what, NULL),
	    0);
}

static void
test_ip_keys(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_IP, 64, 0, 0);
	unsigned char a4[4], a16[16], b6[16], c4[4];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct lb_stick_vals v;
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	v4(a4, "10.0.0.1");
	v6(a16, "::ffff:10.0.0.1");
	v6(b6, "2001:db8::1");
	v4(c4, "10.0.0.2");
	assert_int_equal(lb_stick_track(&tb.t, a4, 4, 1000, LB_STICK_EV_REQ,
	    &v), 0);
	assert_int_equal(v.http_req_rate, 1);
	/* the same address as 4 bytes, 16, and from a sockaddr */
	assert_int_equal(lb_stick_track(&tb.t, a16, 16, 1000, LB_STICK_EV_REQ,
	    &v), 0);
	assert_int_equal(v.http_req_rate, 2);
	memcpy(&sin.sin_addr, a4, 4);
	assert_int_equal(lb_stick_key_ip((struct sockaddr *)&sin, a16), 0);
	assert_int_equal(lb_stick_track(&tb.t, a16, 16, 1000, LB_STICK_EV_REQ,
	    &v), 0);
	assert_int_equal(v.http_req_rate, 3);
	assert_int_equal(lb_stick_track(&tb.t, b6, 16, 1000, LB_STICK_EV_REQ,
	    &v), 0);
	assert_int_equal(v.http_req_rate, 1);
	/* get reads, twice the same */
	assert_int_equal(req_rate(&tb.t, a4, 4, 1000), 3);
	assert_int_equal(req_rate(&tb.t, a4, 4, 1000), 3);
	assert_int_equal(req_rate(&tb.t, b6, 16, 1000), 1);
	assert_int_equal(lb_stick_get(&tb.t, c4, 4, 1000, &v), 0);
	assert_int_equal(lb_stick_used(&tb.t), 2);
	/* an address is 4 or 16 bytes */
	errno = 0;
	assert_int_equal(lb_stick_track(&tb.t, a16, 8, 1000, 0, NULL), -1);
	assert_int_equal(errno, EINVAL);
	sin.sin_family = AF_UNIX;
	assert_int_equal(lb_stick_key_ip((struct sockaddr *)&sin, a16), -1);
	tab_free(&tb);
}

static int
collect(const void *key, size_t keylen, const struct lb_stick_vals *v,
    void *arg)
{
	char (*seen)[64] = arg;
	char buf[32];
	int n = lb_stick_key_format(LB_STICK_STRING, key, keylen, buf,
	    sizeof(buf));

	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	for (int i = 0; i < 4; i++)
		if (seen[i][0] == '\0') {
			snprintf(seen[i], sizeof(seen[i]), "%s=%u", buf,
			    v->http_req_rate);
			return 0;
		}
	fail_msg("more entries than tracked");
	return 1;
}

static int
seen_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_string_keys(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 64, 0, 0);
	char seen[4][64] = { "" };
	struct tab tb;

	(void)state;
	g.key_len = 8;
	tab_make(&tb, &g);
	assert_int_equal(tb.t.geom.key_len, 8);
	track(&tb.t, "abc", 0, LB_STICK_EV_REQ);
	track(&tb.t, "abd", 0, LB_STICK_EV_REQ);
	track(&tb.t, "abd", 0, LB_STICK_EV_REQ);
	/* cut to 8 bytes: one key */
	track(&tb.t, "abcdefgh-1", 0, LB_STICK_EV_REQ);
	track(&tb.t, "abcdefgh-2", 0, LB_STICK_EV_REQ);
	assert_int_equal(req_rate(&tb.t, "abcdefgh", 8, 0), 2);
	assert_int_equal(req_rate(&tb.t, "abc", 3, 0), 1);
	assert_int_equal(req_rate(&tb.t, "abd", 3, 0), 2);
	assert_false(present(&tb.t, "ab", 0));
	/* the empty string is a key too */
	track(&tb.t, "", 0, LB_STICK_EV_REQ);
	assert_int_equal(lb_stick_used(&tb.t), 4);
	assert_int_equal(lb_stick_walk(&tb.t, 0, collect, seen), 0);
	qsort(seen, 4, sizeof(seen[0]), seen_cmp);
	assert_string_equal(seen[0], "=1");
	assert_string_equal(seen[1], "abc=1");
	assert_string_equal(seen[2], "abcdefgh=2");
	assert_string_equal(seen[3], "abd=2");
	tab_free(&tb);
}

/* HAProxy's freq_ctr: curr + prev * (period left) / period. */
static void
test_rates(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 64, 0, 0);
	struct lb_stick_vals v;
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	for (int i = 0; i < 10; i++)
		track(&tb.t, "k", 1000, LB_STICK_EV_REQ);
	assert_int_equal(req_rate(&tb.t, "k", 1, 1000), 10);
	assert_int_equal(req_rate(&tb.t, "k", 1, 10999), 10);
	/* the period began at 1000; at 13500 a quarter of the next is
	 * gone: 10 * 3/4, rounded down */
	assert_int_equal(req_rate(&tb.t, "k", 1, 11000), 10);
	assert_int_equal(req_rate(&tb.t, "k", 1, 13500), 7);
	for (int i = 0; i < 4; i++)
		track(&tb.t, "k", 13500, LB_STICK_EV_REQ);
	assert_int_equal(req_rate(&tb.t, "k", 1, 13500), 4 + 7);
	assert_int_equal(req_rate(&tb.t, "k", 1, 16000), 4 + 5);
	/* the period of 4 over: only they count, then fade */
	assert_int_equal(req_rate(&tb.t, "k", 1, 21000), 4);
	assert_int_equal(req_rate(&tb.t, "k", 1, 26000), 2);
	assert_int_equal(req_rate(&tb.t, "k", 1, 30999), 0);
	assert_int_equal(req_rate(&tb.t, "k", 1, 31000), 0);
	/* two periods with nothing: nothing carried over */
	track(&tb.t, "k", 50000, LB_STICK_EV_REQ);
	assert_int_equal(req_rate(&tb.t, "k", 1, 50000), 1);
	/* 0 or 1 before, nothing now: read as it is (no flapping) */
	assert_int_equal(req_rate(&tb.t, "k", 1, 60000), 1);
	assert_int_equal(req_rate(&tb.t, "k", 1, 69999), 1);
	assert_int_equal(req_rate(&tb.t, "k", 1, 70000), 0);
	/* connections and errors have their own counters */
	assert_int_equal(lb_stick_track(&tb.t, "c", 1, 0,
	    LB_STICK_EV_CONN | LB_STICK_EV_ERR, &v), 0);
	assert_int_equal(lb_stick_track(&tb.t, "c", 1, 0, LB_STICK_EV_CONN,
	    &v), 0);
	assert_int_equal(v.conn_rate, 2);
	assert_int_equal(v.conn_cur, 2);
	assert_int_equal(v.http_err_rate, 1);
	assert_int_equal(v.http_req_rate, 0);
	lb_stick_release_conn(&tb.t, "c", 1);
	assert_int_equal(lb_stick_get(&tb.t, "c", 1, 0, &v), 1);
	assert_int_equal(v.conn_cur, 1);
	assert_int_equal(v.conn_rate, 2);
	lb_stick_release_conn(&tb.t, "c", 1);
	lb_stick_release_conn(&tb.t, "c", 1);
	lb_stick_release_conn(&tb.t, "absent", 6);
	assert_int_equal(lb_stick_get(&tb.t, "c", 1, 0, &v), 1);
	assert_int_equal(v.conn_cur, 0);
	tab_free(&tb);
}

static void
test_gpc0_and_store(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 64, 0, 0);
	struct lb_stick_vals v;
	uint32_t val = 0;
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	assert_int_equal(lb_stick_gpc0_inc(&tb.t, "g", 1, 0, &val), 0);
	assert_int_equal(val, 1);
	assert_int_equal(lb_stick_gpc0_inc(&tb.t, "g", 1, 0, &val), 0);
	assert_int_equal(val, 2);
	tab_free(&tb);
	/* only http_req_rate stored: the rest counts nowhere, reads 0 */
	g.store = LB_STICK_HTTP_REQ_RATE;
	tab_make(&tb, &g);
	assert_int_equal(tb.t.geom.period[LB_STICK_R_CONN], 0);
	assert_int_equal(lb_stick_track(&tb.t, "g", 1, 0, LB_STICK_EV_CONN |
	    LB_STICK_EV_REQ | LB_STICK_EV_ERR | LB_STICK_EV_GPC0, &v), 0);
	assert_int_equal(v.http_req_rate, 1);
	assert_int_equal(v.conn_rate + v.conn_cur + v.http_err_rate + v.gpc0,
	    0);
	assert_int_equal(v.exp_ms, LB_STICK_NEVER);
	lb_stick_release_conn(&tb.t, "g", 1);
	tab_free(&tb);
}

static void
test_expiry(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 64, 0, 5000);
	struct lb_stick_vals v;
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	track(&tb.t, "e", 0, LB_STICK_EV_REQ);
	assert_int_equal(lb_stick_get(&tb.t, "e", 1, 4999, &v), 1);
	assert_int_equal(v.exp_ms, 1);
	assert_int_equal(v.http_req_rate, 1);
	assert_false(present(&tb.t, "e", 5000));
	/* tracked again once expired: a new entry, counts from 0 */
	assert_int_equal(lb_stick_track(&tb.t, "e", 1, 5000, LB_STICK_EV_REQ,
	    &v), 0);
	assert_int_equal(v.http_req_rate, 1);
	assert_int_equal(v.exp_ms, 5000);
	/* tracking marks it used: it lives on */
	track(&tb.t, "e", 9000, 0);
	assert_true(present(&tb.t, "e", 13999));
	/* a get does not */
	assert_false(present(&tb.t, "e", 14000));
	/* connections keep an entry past its time */
	track(&tb.t, "c", 0, LB_STICK_EV_CONN);
	assert_int_equal(lb_stick_get(&tb.t, "c", 1, 60000, &v), 1);
	assert_int_equal(v.exp_ms, 0);
	assert_int_equal(v.conn_cur, 1);
	track(&tb.t, "x", 60000, LB_STICK_EV_REQ);
	assert_int_equal(lb_stick_used(&tb.t), 3);
	/* the sweep takes the expired ones only */
	assert_int_equal(lb_stick_expire(&tb.t, 60000), 1);
	assert_int_equal(lb_stick_used(&tb.t), 2);
	lb_stick_release_conn(&tb.t, "c", 1);
	assert_false(present(&tb.t, "c", 60000));
	assert_int_equal(lb_stick_expire(&tb.t, 60000), 1);
	assert_int_equal(lb_stick_expire(&tb.t, 65000), 1);
	assert_int_equal(lb_stick_used(&tb.t), 0);
	tab_free(&tb);
}

/* One shard: the table's LRU is the shard's. */
static void
test_lru(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 4, 1, 0);
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	track(&tb.t, "k1", 1, LB_STICK_EV_REQ);
	track(&tb.t, "k2", 2, LB_STICK_EV_REQ);
	track(&tb.t, "k3", 3, LB_STICK_EV_REQ);
	track(&tb.t, "k4", 4, LB_STICK_EV_REQ);
	track(&tb.t, "k1", 5, LB_STICK_EV_REQ);
	/* full: k5 takes the least recently used, k2 */
	track(&tb.t, "k5", 6, LB_STICK_EV_REQ);
	assert_int_equal(lb_stick_used(&tb.t), 4);
	assert_false(present(&tb.t, "k2", 6));
	assert_int_equal(req_rate(&tb.t, "k1", 2, 6), 2);
	assert_true(present(&tb.t, "k3", 6));
	assert_true(present(&tb.t, "k4", 6));
	assert_true(present(&tb.t, "k5", 6));
	/* a get is no use: k3 goes next */
	track(&tb.t, "k6", 7, LB_STICK_EV_REQ);
	assert_false(present(&tb.t, "k3", 7));
	/* k4, the least recently used, has a connection: k5 goes */
	track(&tb.t, "k4", 7, LB_STICK_EV_CONN);
	track(&tb.t, "k5", 8, 0);
	track(&tb.t, "k6", 9, 0);
	track(&tb.t, "k1", 10, 0);
	track(&tb.t, "k7", 11, 0);
	assert_true(present(&tb.t, "k4", 11));
	assert_false(present(&tb.t, "k5", 11));
	/* without it, k4 goes */
	lb_stick_release_conn(&tb.t, "k4", 2);
	track(&tb.t, "k8", 12, 0);
	assert_false(present(&tb.t, "k4", 12));
	assert_true(present(&tb.t, "k6", 12));
	assert_int_equal(lb_stick_used(&tb.t), 4);
	tab_free(&tb);
}

static void
test_clear(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 256, 4, 0);
	char k[32];
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(lb_stick_track(&tb.t, k, skey(k, sizeof(k), i),
		    0, LB_STICK_EV_REQ, NULL), 0);
	assert_int_equal(lb_stick_clear(&tb.t, "key-7", 5), 1);
	assert_int_equal(lb_stick_clear(&tb.t, "key-7", 5), 0);
	assert_false(present(&tb.t, "key-7", 0));
	assert_true(present(&tb.t, "key-8", 0));
	assert_int_equal(lb_stick_used(&tb.t), 99);
	assert_int_equal(lb_stick_clear(&tb.t, NULL, 0), 99);
	assert_int_equal(lb_stick_used(&tb.t), 0);
	assert_false(present(&tb.t, "key-8", 0));
	/* and it fills again, to its size */
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(lb_stick_track(&tb.t, k, skey(k, sizeof(k), i),
		    0, LB_STICK_EV_REQ, NULL), 0);
	assert_int_equal(lb_stick_used(&tb.t), 256);
	assert_int_equal(req_rate(&tb.t, "key-999", 7, 0), 1);
	tab_free(&tb);
}

static void
test_geometry(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_IP, 100, 0, 0), b;

	(void)state;
	assert_true(lb_stick_size(&g) > 0);
	b = g, b.type = 7;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.size = 0;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.size = LB_STICK_SIZE_MAX + 1;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.key_len = 4;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.period[LB_STICK_R_HTTP_REQ] = 0;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.nshards = 3;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.nshards = 128;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.store = 1u << 9;
	assert_int_equal(lb_stick_size(&b), 0);
	b = g, b.expire_ms = LB_STICK_MS_MAX + 1u;
	assert_int_equal(lb_stick_size(&b), 0);
	b = geom(LB_STICK_STRING, 100, 0, 0), b.key_len = LB_STICK_KEY_MAX + 1;
	assert_int_equal(lb_stick_size(&b), 0);
	/* a rate not stored needs no period */
	b = g, b.store = LB_STICK_GPC0, b.period[0] = 0;
	assert_true(lb_stick_size(&b) > 0);
}

/* The header of tb, changed by fn, refused. */
static void
refused(const struct tab *tb, size_t off, uint32_t val)
{
	unsigned char *copy = aligned_alloc(64, tb->len);
	struct lb_stick t;

	assert_non_null(copy);
	memcpy(copy, tb->mem, tb->len);
	memcpy(copy + off, &val, sizeof(val));
	errno = 0;
	assert_int_equal(lb_stick_attach(&t, copy, tb->len, NULL), -1);
	assert_int_equal(errno, EINVAL);
	free(copy);
}

static void
test_attach(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_IP, 1000, 0, 3000), w;
	unsigned char junk[4096] __attribute__((aligned(64)));
	struct lb_stick t;
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	assert_int_equal(tb.t.geom.nshards, 32);
	/* as configured, or whatever the header says */
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, NULL), 0);
	assert_int_equal(t.geom.expire_ms, 3000);
	w = g, w.expire_ms = 100, w.nshards = 32;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), 0);
	assert_int_equal(t.geom.expire_ms, 100);
	/* another geometry: the caller makes a new table */
	w = g, w.size = 1001;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), -1);
	w = g, w.type = LB_STICK_STRING;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), -1);
	w = g, w.store &= ~(uint32_t)LB_STICK_GPC0;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), -1);
	w = g, w.period[LB_STICK_R_HTTP_ERR] = 1000;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), -1);
	w = g, w.nshards = 16;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), -1);
	w = g, w.size = 0;
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len, &w), -1);
	/* not a table, a truncated one, another version or layout */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(lb_stick_attach(&t, junk, sizeof(junk), NULL), -1);
	memcpy(junk, tb.mem, sizeof(junk));
	assert_int_equal(lb_stick_attach(&t, junk, sizeof(junk), NULL), -1);
	assert_int_equal(lb_stick_attach(&t, tb.mem, tb.len - 64, NULL), -1);
	assert_int_equal(lb_stick_attach(&t, tb.mem, 16, NULL), -1);
	assert_int_equal(lb_stick_attach(&t, (char *)tb.mem + 8, tb.len - 8,
	    NULL), -1);
	refused(&tb, 0, 0);			/* magic */
	refused(&tb, 4, 2);			/* version */
	refused(&tb, 12, 4096);			/* stride */
	refused(&tb, 16 + 8, 2000);		/* geom.size */
	refused(&tb, 16 + 32, 8);		/* geom.nshards */
	/* lb_stick_init: room and alignment */
	errno = 0;
	assert_int_equal(lb_stick_init(junk, sizeof(junk), &g), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(lb_stick_init((char *)tb.mem + 8, tb.len - 8, &g),
	    -1);
	tab_free(&tb);
}

static void
test_key_format(void **state)
{
	unsigned char a[16];
	char buf[64];

	(void)state;
	v6(a, "::ffff:192.0.2.1");
	assert_int_equal(lb_stick_key_format(LB_STICK_IP, a, 16, buf,
	    sizeof(buf)), 9);
	assert_string_equal(buf, "192.0.2.1");
	v6(a, "2001:db8::1");
	lb_stick_key_format(LB_STICK_IP, a, 16, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(lb_stick_key_format(LB_STICK_IP, a, 4, buf,
	    sizeof(buf)), -1);
	assert_int_equal(lb_stick_key_format(LB_STICK_STRING, "a\"b\\c\x01\xff",
	    7, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "a\\\"b\\\\c\\x01\\xff");
	/* cut, the length needed still said */
	assert_int_equal(lb_stick_key_format(LB_STICK_STRING, "abcdef", 6,
	    buf, 4), 6);
	assert_string_equal(buf, "abc");
}

/* What a thread or a process counts: ROUNDS requests, one in two on a
 * shared key, and gpc0 on the shared keys. */
static int
count_rounds(struct lb_stick *t, unsigned id)
{
	char k[32];

	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned i = r % 2 ? (r / 2) % SHARED_KEYS :
		    1000 * (id + 1) + (r / 2) % OWN_KEYS;
		unsigned what = LB_STICK_EV_REQ |
		    (i < SHARED_KEYS ? LB_STICK_EV_GPC0 : 0);

		if (lb_stick_track(t, k, skey(k, sizeof(k), i), 1000, what,
		    NULL) < 0)
			return -1;
	}
	return 0;
}

/* Whether the counts of n counters (threads, processes) are exact. */
static void
check_counts(struct lb_stick *t, unsigned n)
{
	struct lb_stick_vals v;
	char k[32];

	for (unsigned i = 0; i < SHARED_KEYS; i++) {
		assert_int_equal(lb_stick_get(t, k, skey(k, sizeof(k), i), 1000,
		    &v), 1);
		assert_int_equal(v.http_req_rate, n * ROUNDS / 2 / SHARED_KEYS);
		assert_int_equal(v.gpc0, n * ROUNDS / 2 / SHARED_KEYS);
	}
	for (unsigned id = 0; id < n; id++)
		for (unsigned i = 0; i < OWN_KEYS; i++) {
			assert_int_equal(lb_stick_get(t, k, skey(k, sizeof(k),
			    1000 * (id + 1) + i), 1000, &v), 1);
			assert_int_equal(v.http_req_rate,
			    ROUNDS / 2 / OWN_KEYS);
		}
	assert_int_equal(lb_stick_used(t), SHARED_KEYS + n * OWN_KEYS);
}

struct worker {
	struct lb_stick *t;
	unsigned id;
	int ret;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	w->ret = count_rounds(w->t, w->id);
	return w;
}

static int
count_entry(const void *key, size_t keylen, const struct lb_stick_vals *v,
    void *arg)
{
	(void)key;
	(void)keylen;
	(void)v;
	++*(long *)arg;
	return 0;
}

static void
test_threads(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 4096, 0, 0);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct tab tb;
	long n;

	(void)state;
	tab_make(&tb, &g);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .t = &tb.t, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
		    &w[i]), 0);
	}
	/* `show table` meanwhile */
	for (int i = 0; i < 20; i++) {
		n = 0;
		assert_int_equal(lb_stick_walk(&tb.t, 1000, count_entry, &n),
		    0);
		assert_true(n <= SHARED_KEYS + THREADS * OWN_KEYS);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].ret, 0);
	}
	check_counts(&tb.t, THREADS);
	tab_free(&tb);
}

/* In a child: maps the table's memfd again, at an address of its own,
 * waits for the parent's go (the pipe's end), counts and exits 0. */
static void
child_count(const struct tab *tb, int go, unsigned id)
{
	struct lb_stick t;
	void *mem = mmap(NULL, tb->len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    tb->fd, 0);
	char c;

	if (mem == MAP_FAILED || mem == tb->mem ||
	    lb_stick_attach(&t, mem, tb->len, NULL) < 0 ||
	    read(go, &c, 1) != 0 || count_rounds(&t, id) < 0)
		_exit(1);
	_exit(0);
}

static void
reap(pid_t pid, int want_sig)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (want_sig != 0) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), want_sig);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void
test_processes(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 4096, 0, 0);
	pid_t pid[PROCS];
	int go[2];
	struct tab tb;

	(void)state;
	tab_make(&tb, &g);
	assert_int_equal(pipe(go), 0);
	for (unsigned i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			close(go[1]);
			child_count(&tb, go[0], i);
		}
	}
	assert_int_equal(close(go[0]), 0);
	assert_int_equal(close(go[1]), 0);
	alarm(DEADLINE);
	for (unsigned i = 0; i < PROCS; i++)
		reap(pid[i], 0);
	alarm(0);
	check_counts(&tb.t, PROCS);
	assert_int_equal(lb_stick_repairs(&tb.t), 0);
	tab_free(&tb);
}

/* A child that takes shard 0's lock (a shard begins with it), says so
 * and waits to be killed. */
static pid_t
child_holding_lock(struct tab *tb)
{
	int ready[2];
	pid_t pid;
	char c = 'x';

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_mutex_t *lock = (pthread_mutex_t *)(void *)
		    tb->t.shards;

		if (pthread_mutex_lock(lock) != 0 ||
		    write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(close(ready[1]), 0);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(close(ready[0]), 0);
	return pid;
}

static void
test_owner_dead(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 64, 1, 0);
	struct tab tb;
	pid_t pid;

	(void)state;
	tab_make(&tb, &g);
	track(&tb.t, "before", 0, LB_STICK_EV_REQ);
	pid = child_holding_lock(&tb);
	/* held, by a live process: given up after a while */
	errno = 0;
	assert_int_equal(lb_stick_track(&tb.t, "x", 1, 0, 0, NULL), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(kill(pid, SIGKILL), 0);
	reap(pid, SIGKILL);
	/* the next locker empties the shard and goes on */
	alarm(DEADLINE);
	track(&tb.t, "after", 0, LB_STICK_EV_REQ);
	alarm(0);
	assert_int_equal(lb_stick_repairs(&tb.t), 1);
	assert_false(present(&tb.t, "before", 0));
	assert_true(present(&tb.t, "after", 0));
	track(&tb.t, "after", 0, LB_STICK_EV_REQ);
	assert_int_equal(req_rate(&tb.t, "after", 5, 0), 2);
	assert_int_equal(lb_stick_used(&tb.t), 1);
	assert_int_equal(lb_stick_repairs(&tb.t), 1);
	tab_free(&tb);
}

/* A child that counts until it is killed. */
static void
child_forever(struct lb_stick *t, unsigned id)
{
	for (;;)
		if (count_rounds(t, id) < 0)
			_exit(1);
}

static int
check_entry(const void *key, size_t keylen, const struct lb_stick_vals *v,
    void *arg)
{
	(void)v;
	assert_true(keylen > 4 && memcmp(key, "key-", 4) == 0);
	++*(long *)arg;
	return 0;
}

/* Children killed at random while they count, often with a lock held:
 * the parent must never block, and the table must stay whole. */
static void
test_kill_while_counting(void **state)
{
	struct lb_stick_geom g = geom(LB_STICK_STRING, 1024, 4, 0);
	struct timespec ts;
	struct tab tb;
	long n;

	(void)state;
	tab_make(&tb, &g);
	srand(7);
	for (int i = 0; i < KILLS; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			child_forever(&tb.t, (unsigned)i % 8);
		ts = (struct timespec){ 0, 1000000L + rand() % 4000000L };
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		reap(pid, SIGKILL);
		alarm(DEADLINE);
		assert_int_equal(count_rounds(&tb.t, 99), 0);
		n = 0;
		assert_int_equal(lb_stick_walk(&tb.t, 1000, check_entry, &n),
		    0);
		alarm(0);
		assert_int_equal(n, lb_stick_used(&tb.t));
		assert_true(n >= SHARED_KEYS && n <= 1024);
	}
	print_message("%d kills, %llu shards emptied\n", KILLS,
	    (unsigned long long)lb_stick_repairs(&tb.t));
	tab_free(&tb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_keys),
		cmocka_unit_test(test_string_keys),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_gpc0_and_store),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_key_format),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_owner_dead),
		cmocka_unit_test(test_kill_while_counting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
