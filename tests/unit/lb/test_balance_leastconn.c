/*
 * tests/unit/lb/test_balance_leastconn.c - lb/balance_leastconn.c against
 * fake members.  The test plays the caller: it raises `active` when a
 * request is placed and lowers it when one ends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balance.h"

#define MAXMEMBERS	8
#define PICKS		100000
#define INFLIGHT	100

struct fixture {
	struct lb_member m[MAXMEMBERS];
	struct lb_member *mp[MAXMEMBERS];
	struct lb_member_state st[MAXMEMBERS];
	char names[MAXMEMBERS][24];	/* fits any size_t */
	struct lb_balancer b;
};

static struct fixture fx;

/* Builds fx with one idle usable member per weight; inits leastconn. */
static void
pool(const unsigned *weights, size_t n)
{
	memset(&fx, 0, sizeof(fx));
	for (size_t i = 0; i < n; i++) {
		struct lb_member *m = &fx.m[i];

		snprintf(fx.names[i], sizeof(fx.names[i]), "m%zu", i);
		m->name = fx.names[i];
		m->weight = weights[i];
		m->hash_id = lb_hash_bytes(m->name, strlen(m->name));
		m->index = (unsigned)i;
		atomic_init(&m->up, 1);
		atomic_init(&m->admin, LB_ADMIN_ENABLED);
		m->st = &fx.st[i];
		fx.mp[i] = m;
	}
	fx.b.ops = &lb_balance_leastconn;
	fx.b.members = fx.mp;
	fx.b.nmembers = n;
	assert_int_equal(fx.b.ops->init(&fx.b), 0);
}

static void
unpool(void)
{
	fx.b.ops->fini(&fx.b);
	assert_null(fx.b.state);
}

static void
set_active(const unsigned *active, size_t n)
{
	for (size_t i = 0; i < n; i++)
		atomic_store(&fx.m[i].st->active, active[i]);
}

static struct lb_member *
pick(const struct lb_member *avoid)
{
	return fx.b.ops->pick(&fx.b, NULL, 0, avoid);
}

static size_t
pick_index(const struct lb_member *avoid)
{
	struct lb_member *m = pick(avoid);

	assert_non_null(m);
	return m->index;
}

static void
test_least_active(void **unused)
{
	static const unsigned w111[] = { 1, 1, 1 };
	static const unsigned a111[] = { 5, 2, 7 };
	static const unsigned w41[] = { 4, 1 };
	static const unsigned a41[] = { 6, 1 };	/* 7/4 < 2/1 */
	static const unsigned w14[] = { 1, 4 };
	static const unsigned a14[] = { 1, 8 };	/* 2/1 < 9/4 */

	(void)unused;
	pool(w111, 3);
	set_active(a111, 3);
	for (int i = 0; i < 10; i++)
		assert_int_equal(pick_index(NULL), 1);
	unpool();
	pool(w41, 2);
	set_active(a41, 2);
	assert_int_equal(pick_index(NULL), 0);
	unpool();
	pool(w14, 2);
	set_active(a14, 2);
	assert_int_equal(pick_index(NULL), 0);
	unpool();
}

/* Counts near UINT_MAX times the largest weight do not overflow. */
static void
test_large_counts(void **unused)
{
	static const unsigned w[] = { 256, 256, 1 };
	static const unsigned a[] = {
		UINT_MAX - 1, UINT_MAX - 2, UINT_MAX - 1
	};

	(void)unused;
	pool(w, 3);
	set_active(a, 3);
	assert_int_equal(pick_index(NULL), 1);
	unpool();
}

/* An older worker's requests in progress (others, set by the master
 * while it drains) count like this worker's own. */
static void
test_others_count(void **unused)
{
	static const unsigned w11[] = { 1, 1 };
	static const unsigned a11[] = { 2, 3 };

	(void)unused;
	pool(w11, 2);
	set_active(a11, 2);
	assert_int_equal(pick_index(NULL), 0);
	atomic_store(&fx.m[0].st->others, 4);	/* 6 in all against 3 */
	for (int i = 0; i < 5; i++)
		assert_int_equal(pick_index(NULL), 1);
	atomic_store(&fx.m[0].st->others, UINT_MAX);	/* no overflow */
	atomic_store(&fx.m[1].st->others, UINT_MAX - 10);
	assert_int_equal(pick_index(NULL), 1);
	unpool();
}

/* Idle and equal: weights still count (the request being placed). */
static void
test_idle_prefers_weight(void **unused)
{
	static const unsigned w[] = { 1, 3 };

	(void)unused;
	pool(w, 2);
	assert_int_equal(pick_index(NULL), 1);
	unpool();
}

static void
test_ties_rotate(void **unused)
{
	static const unsigned w1[] = { 1, 1, 1, 1 };
	static const unsigned w2[] = { 2, 1, 2 };
	static const unsigned a2[] = { 1, 0, 1 };	/* all 1/1 */

	(void)unused;
	pool(w1, 4);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(pick_index(NULL), i % 4);
	unpool();
	pool(w2, 3);
	set_active(a2, 3);
	for (size_t i = 0; i < 30; i++)
		assert_int_equal(pick_index(NULL), i % 3);
	unpool();
}

/* Ties among the lightest only: a heavier-loaded member never joins. */
static void
test_ties_skip_loaded(void **unused)
{
	static const unsigned w[] = { 1, 1, 1, 1 };
	static const unsigned a[] = { 0, 3, 0, 0 };
	static const size_t turn[] = { 0, 2, 3 };

	(void)unused;
	pool(w, 4);
	set_active(a, 4);
	for (size_t i = 0; i < 30; i++)
		assert_int_equal(pick_index(NULL), turn[i % 3]);
	unpool();
}

/* xorshift64: a fixed-seed generator, so the test is repeatable. */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Steady state: every pick places a request, and once INFLIGHT are in
 * progress each new one ends a random earlier one.  counts[i] gets the
 * picks of member i.
 */
static void
simulate(size_t picks, size_t *counts)
{
	size_t inflight[INFLIGHT + 1];
	size_t n = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (size_t k = 0; k < picks; k++) {
		size_t i = pick_index(NULL), j;

		counts[i]++;
		atomic_fetch_add(&fx.m[i].st->active, 1);
		inflight[n++] = i;
		if (n <= INFLIGHT)
			continue;
		j = next_random(&seed) % n;
		atomic_fetch_sub(&fx.m[inflight[j]].st->active, 1);
		inflight[j] = inflight[--n];
	}
}

static void
check_shares(const unsigned *weights, size_t n)
{
	size_t counts[MAXMEMBERS] = { 0 };
	unsigned total = 0;

	for (size_t i = 0; i < n; i++)
		total += weights[i];
	pool(weights, n);
	simulate(PICKS, counts);
	for (size_t i = 0; i < n; i++) {
		double want = (double)weights[i] / total;
		double got = (double)counts[i] / PICKS;

		print_message("leastconn weight %3u: share %.5f want %.5f "
		    "(diff %+.5f), active at end %u\n", weights[i], got, want,
		    got - want, atomic_load(&fx.m[i].st->active));
		assert_true(got - want < 0.01 && want - got < 0.01);
	}
	unpool();
}

static void
test_weights(void **unused)
{
	static const unsigned w311[] = { 3, 1, 1 };
	static const unsigned w1111[] = { 1, 1, 1, 1 };
	static const unsigned w5321[] = { 5, 3, 2, 1 };
	static const unsigned wmix[] = { 256, 1, 7, 40, 100 };

	(void)unused;
	check_shares(w311, 3);
	check_shares(w1111, 4);
	check_shares(w5321, 4);
	check_shares(wmix, 5);
}

static void
test_skips_unusable(void **unused)
{
	static const unsigned w[] = { 1, 1, 1, 1 };
	static const unsigned a[] = { 9, 0, 0, 0 };

	(void)unused;
	pool(w, 4);
	set_active(a, 4);
	atomic_store(&fx.m[1].up, 0);
	atomic_store(&fx.m[2].admin, LB_ADMIN_DISABLED);
	atomic_store(&fx.m[3].admin, LB_ADMIN_DRAIN);
	for (int i = 0; i < 10; i++)
		assert_int_equal(pick_index(NULL), 0);
	/* and one coming back, idle, is taken at once */
	atomic_store(&fx.m[3].admin, LB_ADMIN_ENABLED);
	assert_int_equal(pick_index(NULL), 3);
	unpool();
}

static void
test_avoid(void **unused)
{
	static const unsigned w[] = { 1, 1, 1 };
	static const unsigned a[] = { 0, 5, 3 };
	struct lb_member stranger;

	(void)unused;
	pool(w, 3);
	set_active(a, 3);
	/* the least loaded other than avoid */
	assert_int_equal(pick_index(&fx.m[0]), 2);
	assert_int_equal(pick_index(&fx.m[2]), 0);
	/* avoid alone is still returned, */
	atomic_store(&fx.m[1].up, 0);
	atomic_store(&fx.m[2].up, 0);
	assert_int_equal(pick_index(&fx.m[0]), 0);
	/* but not when unusable itself, nor when not ours. */
	atomic_store(&fx.m[0].admin, LB_ADMIN_DRAIN);
	assert_null(pick(&fx.m[0]));
	memset(&stranger, 0, sizeof(stranger));
	atomic_init(&stranger.up, 1);
	assert_null(pick(&stranger));
	unpool();
}

static void
test_none_usable(void **unused)
{
	static const unsigned w[] = { 1, 2 };

	(void)unused;
	pool(w, 2);
	atomic_store(&fx.m[0].up, 0);
	atomic_store(&fx.m[1].admin, LB_ADMIN_DISABLED);
	assert_null(pick(NULL));
	assert_null(pick(&fx.m[0]));
	unpool();
	pool(w, 0);
	assert_null(pick(NULL));
	unpool();
}

/* The balancer reads active; only the caller changes it. */
static void
test_does_not_count(void **unused)
{
	static const unsigned w[] = { 1, 1 };

	(void)unused;
	pool(w, 2);
	for (int i = 0; i < 10; i++)
		pick(NULL);
	assert_int_equal(atomic_load(&fx.m[0].st->active), 0);
	assert_int_equal(atomic_load(&fx.m[1].st->active), 0);
	unpool();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_least_active),
		cmocka_unit_test(test_large_counts),
		cmocka_unit_test(test_others_count),
		cmocka_unit_test(test_idle_prefers_weight),
		cmocka_unit_test(test_ties_rotate),
		cmocka_unit_test(test_ties_skip_loaded),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_skips_unusable),
		cmocka_unit_test(test_avoid),
		cmocka_unit_test(test_none_usable),
		cmocka_unit_test(test_does_not_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
