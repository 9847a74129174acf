/*
 * tests/unit/lb/test_balance_rr.c - lb/balance_rr.c against fake members.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balance.h"

#define MAXMEMBERS	8
#define PICKS		100000

struct fixture {
	struct lb_member m[MAXMEMBERS];
	struct lb_member *mp[MAXMEMBERS];
	struct lb_member_state st[MAXMEMBERS];
	char names[MAXMEMBERS][24];	/* fits any size_t */
	struct lb_balancer b;
};

static struct fixture fx;

/* Builds fx with one usable member per weight and an initialised rr. */
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
	fx.b.ops = &lb_balance_rr;
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

/* Picks n times; counts[i] gets member i's share. */
static void
count_picks(size_t n, size_t *counts)
{
	for (size_t i = 0; i < n; i++)
		counts[pick_index(NULL)]++;
}

static void
check_shares(const unsigned *weights, size_t n)
{
	size_t counts[MAXMEMBERS] = { 0 };
	unsigned total = 0;

	for (size_t i = 0; i < n; i++)
		total += weights[i];
	pool(weights, n);
	count_picks(PICKS, counts);
	for (size_t i = 0; i < n; i++) {
		double want = (double)weights[i] / total;
		double got = (double)counts[i] / PICKS;

		print_message("rr weight %3u: share %.5f want %.5f "
		    "(diff %+.5f)\n", weights[i], got, want, got - want);
		assert_true(got - want < 0.01 && want - got < 0.01);
	}
	unpool();
}

static void
test_weights(void **unused)
{
	static const unsigned w311[] = { 3, 1, 1 };
	static const unsigned w511[] = { 5, 1, 1 };
	static const unsigned w1111[] = { 1, 1, 1, 1 };
	static const unsigned wmix[] = { 256, 1, 7, 40, 100 };

	(void)unused;
	check_shares(w311, 3);
	check_shares(w511, 3);
	check_shares(w1111, 4);
	check_shares(wmix, 5);
}

/* From no credit, every W picks hold exactly `weight` of each member. */
static void
test_exact_cycles(void **unused)
{
	static const unsigned w[] = { 256, 1, 7, 40, 100 };
	const size_t total = 404;

	(void)unused;
	pool(w, 5);
	for (int cycle = 0; cycle < 10; cycle++) {
		size_t counts[MAXMEMBERS] = { 0 };

		count_picks(total, counts);
		for (size_t i = 0; i < 5; i++)
			assert_int_equal(counts[i], w[i]);
	}
	unpool();
}

/* Longest run of one member over n picks. */
static size_t
longest_run(size_t n)
{
	size_t prev = SIZE_MAX, run = 0, longest = 0;

	for (size_t i = 0; i < n; i++) {
		size_t cur = pick_index(NULL);

		run = cur == prev ? run + 1 : 1;
		prev = cur;
		if (run > longest)
			longest = run;
	}
	return longest;
}

static void
test_smooth(void **unused)
{
	static const unsigned w[] = { 5, 1, 1 };
	static const size_t seq[] = { 0, 0, 1, 0, 2, 0, 0 };
	size_t run;

	(void)unused;
	pool(w, 3);
	for (int cycle = 0; cycle < 100; cycle++) {
		for (size_t i = 0; i < 7; i++)
			assert_int_equal(pick_index(NULL), seq[i]);
	}
	/* a a | a a across cycles; plain weighted rr would give 5. */
	run = longest_run(PICKS);
	print_message("rr 5:1:1 longest run of one member: %zu\n", run);
	assert_true(run <= 4);
	unpool();
}

static void
test_skips_unusable(void **unused)
{
	static const unsigned w[] = { 1, 1, 1, 1 };
	size_t counts[MAXMEMBERS] = { 0 };

	(void)unused;
	pool(w, 4);
	atomic_store(&fx.m[1].up, 0);
	atomic_store(&fx.m[2].admin, LB_ADMIN_DISABLED);
	atomic_store(&fx.m[3].admin, LB_ADMIN_DRAIN);
	count_picks(1000, counts);
	assert_int_equal(counts[0], 1000);
	unpool();
}

static void
test_avoid(void **unused)
{
	static const unsigned w[] = { 5, 1, 1 };
	struct lb_member stranger;

	(void)unused;
	pool(w, 3);
	for (int i = 0; i < 1000; i++) {
		struct lb_member *m = &fx.m[i % 3];

		assert_ptr_not_equal(pick(m), m);
	}
	/* avoid alone is still returned: better than nothing. */
	atomic_store(&fx.m[1].up, 0);
	atomic_store(&fx.m[2].up, 0);
	assert_ptr_equal(pick(&fx.m[0]), &fx.m[0]);
	/* but not when it is unusable itself, */
	atomic_store(&fx.m[0].admin, LB_ADMIN_DRAIN);
	assert_null(pick(&fx.m[0]));
	/* and a member of another pool is not ours to return. */
	memset(&stranger, 0, sizeof(stranger));
	atomic_init(&stranger.up, 1);
	assert_null(pick(&stranger));
	unpool();
}

/* Sitting out a pick as avoid costs no credit: shares stay exact. */
static void
test_avoid_keeps_shares(void **unused)
{
	static const unsigned w[] = { 3, 1, 1 };
	size_t counts[MAXMEMBERS] = { 0 };

	(void)unused;
	pool(w, 3);
	for (int i = 0; i < 100; i++)
		assert_int_not_equal(pick_index(&fx.m[0]), 0);
	count_picks(5 * 1000, counts);
	print_message("rr 3:1:1 after 100 picks avoiding m0: %zu %zu %zu\n",
	    counts[0], counts[1], counts[2]);
	assert_true(counts[0] >= 2990 && counts[0] <= 3010);
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
	assert_null(pick(&fx.m[1]));
	unpool();
	pool(w, 0);
	assert_null(pick(NULL));
	unpool();
}

static void
test_comes_back(void **unused)
{
	static const unsigned w[] = { 3, 1, 1 };
	size_t counts[MAXMEMBERS] = { 0 };

	(void)unused;
	pool(w, 3);
	count_picks(7, counts);
	atomic_store(&fx.m[1].up, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_not_equal(pick_index(NULL), 1);
	atomic_store(&fx.m[1].up, 1);
	/* Back with the credit it left with: no burst, its share at once. */
	memset(counts, 0, sizeof(counts));
	count_picks(5, counts);
	assert_int_equal(counts[1], 1);
	count_picks(PICKS - 5, counts);
	print_message("rr 3:1:1 after m1 came back: %zu %zu %zu\n",
	    counts[0], counts[1], counts[2]);
	assert_true(counts[1] >= PICKS / 5 - 10 && counts[1] <= PICKS / 5 + 10);
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
 * m2 goes down and up at random, about every 20 picks: everyone's share
 * follows the weights of the members present at each pick.
 */
static void
test_flapping(void **unused)
{
	static const unsigned w[] = { 3, 1, 2 };
	size_t counts[MAXMEMBERS] = { 0 };
	double want[3] = { 0, 0, 0 };
	uint64_t seed = 42;

	(void)unused;
	pool(w, 3);
	for (size_t i = 0; i < PICKS; i++) {
		int up = atomic_load(&fx.m[2].up);

		if (next_random(&seed) % 20 == 0)
			atomic_store(&fx.m[2].up, up = !up);
		want[0] += up ? 3.0 / 6 : 3.0 / 4;
		want[1] += up ? 1.0 / 6 : 1.0 / 4;
		want[2] += up ? 2.0 / 6 : 0;
		counts[pick_index(NULL)]++;
	}
	for (size_t i = 0; i < 3; i++) {
		print_message("rr 3:1:2, m2 flapping: m%zu %zu picks, "
		    "want %.0f\n", i, counts[i], want[i]);
		assert_true(counts[i] < want[i] + PICKS / 100 &&
		    counts[i] > want[i] - PICKS / 100);
	}
	unpool();
}

/*
 * m2 flapping on every pick: the price of a pick (the total weight
 * present) then alternates, so picks cannot follow the weights, but
 * credit still does: m2 wins exactly its 2/6 of the picks it is in.
 */
static void
test_flapping_each_pick(void **unused)
{
	static const unsigned w[] = { 3, 1, 2 };
	size_t counts[MAXMEMBERS] = { 0 };

	(void)unused;
	pool(w, 3);
	for (size_t i = 0; i < PICKS; i++) {
		atomic_store(&fx.m[2].up, (int)(i % 2));
		counts[pick_index(NULL)]++;
	}
	print_message("rr 3:1:2, m2 up every other pick: %zu %zu %zu\n",
	    counts[0], counts[1], counts[2]);
	assert_true(counts[1] > 0);
	assert_true(counts[2] + 1 >= PICKS / 6 && counts[2] <= PICKS / 6 + 1);
	unpool();
}

/* Two balancers (two threads) over the same members keep their own. */
static void
test_per_instance(void **unused)
{
	static const unsigned w[] = { 5, 1, 1 };
	static const size_t seq[] = { 0, 0, 1, 0, 2, 0, 0 };
	struct lb_balancer other;

	(void)unused;
	pool(w, 3);
	other = fx.b;
	other.state = NULL;
	assert_int_equal(other.ops->init(&other), 0);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(pick_index(NULL), seq[i]);
		assert_ptr_equal(other.ops->pick(&other, NULL, 0, NULL),
		    &fx.m[seq[i]]);
	}
	other.ops->fini(&other);
	unpool();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_exact_cycles),
		cmocka_unit_test(test_smooth),
		cmocka_unit_test(test_skips_unusable),
		cmocka_unit_test(test_avoid),
		cmocka_unit_test(test_avoid_keeps_shares),
		cmocka_unit_test(test_none_usable),
		cmocka_unit_test(test_comes_back),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_flapping_each_pick),
		cmocka_unit_test(test_per_instance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
