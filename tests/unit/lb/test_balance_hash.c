/*
 * tests/unit/lb/test_balance_hash.c - lb/balance_hash.c against fake
 * members.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balance.h"

#define MAXMEMBERS	16
#define KEYS		100000

struct fixture {
	struct lb_member m[MAXMEMBERS];
	struct lb_member *mp[MAXMEMBERS];
	struct lb_member_state st[MAXMEMBERS];
	char names[MAXMEMBERS][32];	/* "web-" and any size_t */
	struct lb_balancer b;
};

static struct fixture fx;
static unsigned char owner[KEYS];	/* member index per key */

/* Builds fx with one usable member per weight and inits the hash. */
static void
pool(const unsigned *weights, size_t n)
{
	memset(&fx, 0, sizeof(fx));
	for (size_t i = 0; i < n; i++) {
		struct lb_member *m = &fx.m[i];

		snprintf(fx.names[i], sizeof(fx.names[i]), "web-%zu", i);
		m->name = fx.names[i];
		m->weight = weights[i];
		m->hash_id = lb_hash_bytes(m->name, strlen(m->name));
		m->index = (unsigned)i;
		atomic_init(&m->up, 1);
		atomic_init(&m->admin, LB_ADMIN_ENABLED);
		m->st = &fx.st[i];
		fx.mp[i] = m;
	}
	fx.b.ops = &lb_balance_hash;
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

/* Key number k, as a client address or URI would be: short text. */
static size_t
key_text(size_t k, char *buf, size_t size)
{
	int n = snprintf(buf, size, "10.%zu.%zu.%zu", k >> 16,
	    (k >> 8) & 0xff, k & 0xff);

	assert_true(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static struct lb_member *
pick_key(struct lb_balancer *b, size_t k, const struct lb_member *avoid)
{
	char buf[32];
	size_t len = key_text(k, buf, sizeof(buf));

	return b->ops->pick(b, buf, len, avoid);
}

static size_t
pick_index(size_t k, const struct lb_member *avoid)
{
	struct lb_member *m = pick_key(&fx.b, k, avoid);

	assert_non_null(m);
	return m->index;
}

/* Maps every key; owner[k] gets its member. */
static void
map_keys(void)
{
	for (size_t k = 0; k < KEYS; k++)
		owner[k] = (unsigned char)pick_index(k, NULL);
}

static void
test_same_key_same_member(void **unused)
{
	static const unsigned w[] = { 3, 1, 1, 2 };
	struct lb_member *mp[4];
	struct lb_balancer other;

	(void)unused;
	pool(w, 4);
	map_keys();
	for (size_t k = 0; k < KEYS; k += 7)
		assert_int_equal(pick_index(k, NULL), owner[k]);
	/* another thread's balancer, even over the members in another order */
	for (size_t i = 0; i < 4; i++)
		mp[i] = fx.mp[3 - i];
	other = fx.b;
	other.members = mp;
	assert_int_equal(other.ops->init(&other), 0);
	for (size_t k = 0; k < KEYS; k += 7)
		assert_int_equal(pick_key(&other, k, NULL)->index, owner[k]);
	other.ops->fini(&other);
	unpool();
}

static void
check_shares(const unsigned *weights, size_t n)
{
	size_t counts[MAXMEMBERS] = { 0 };
	unsigned total = 0;

	for (size_t i = 0; i < n; i++)
		total += weights[i];
	pool(weights, n);
	for (size_t k = 0; k < KEYS; k++)
		counts[pick_index(k, NULL)]++;
	for (size_t i = 0; i < n; i++) {
		double want = (double)weights[i] / total;
		double got = (double)counts[i] / KEYS;

		print_message("hash weight %3u: share %.5f want %.5f "
		    "(diff %+.5f)\n", weights[i], got, want, got - want);
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

/*
 * Takes member r out by setting *state to off: only r's keys may move,
 * and all of them must, about r's share of the weight (1/n when all are
 * equal).  Then puts it back: the original mapping must return exactly.
 */
static void
check_remove(size_t n, size_t r, const char *how, atomic_int *state,
    int off, int on)
{
	size_t moved = 0, had = 0;
	double total = 0, bound;

	for (size_t i = 0; i < n; i++)
		total += fx.m[i].weight;
	bound = fx.m[r].weight / total + 0.02;
	map_keys();
	atomic_store(state, off);
	for (size_t k = 0; k < KEYS; k++) {
		size_t now = pick_index(k, NULL);

		had += owner[k] == r;
		if (now == owner[k])
			continue;
		assert_int_equal(owner[k], r);
		moved++;
	}
	print_message("hash n=%2zu: web-%zu (weight %u) %-5s moved %5zu of "
	    "%d keys (%6.3f%%, bound %6.3f%%)\n", n, r, fx.m[r].weight, how,
	    moved, KEYS, 100.0 * moved / KEYS, 100.0 * bound);
	assert_int_equal(moved, had);
	assert_true((double)moved / KEYS <= bound);
	atomic_store(state, on);
	for (size_t k = 0; k < KEYS; k++)
		assert_int_equal(pick_index(k, NULL), owner[k]);
}

static void
check_consistency(const unsigned *weights, size_t n)
{
	pool(weights, n);
	for (size_t r = 0; r < n; r += 3) {
		check_remove(n, r, "down", &fx.m[r].up, 0, 1);
		check_remove(n, r, "drain", &fx.m[r].admin, LB_ADMIN_DRAIN,
		    LB_ADMIN_ENABLED);
	}
	unpool();
}

static void
test_consistency(void **unused)
{
	static const unsigned w5[] = { 1, 1, 1, 1, 1 };
	static const unsigned w10[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const unsigned wmix[] = { 5, 1, 3, 2, 8, 1, 1, 4, 2, 3 };

	(void)unused;
	check_consistency(w5, 5);
	check_consistency(w10, 10);
	check_consistency(wmix, 10);
}

/* Two members down at once, back in the other order: still exact. */
static void
test_consistency_two_down(void **unused)
{
	static const unsigned w[] = { 1, 2, 1, 1, 3, 1, 1 };
	size_t moved = 0;

	(void)unused;
	pool(w, 7);
	map_keys();
	atomic_store(&fx.m[1].up, 0);
	atomic_store(&fx.m[4].admin, LB_ADMIN_DISABLED);
	for (size_t k = 0; k < KEYS; k++) {
		size_t now = pick_index(k, NULL);

		assert_true(now != 1 && now != 4);
		if (now != owner[k]) {
			assert_true(owner[k] == 1 || owner[k] == 4);
			moved++;
		}
	}
	print_message("hash 7 members, 2 down (weights 2+3 of 10): "
	    "moved %.3f%%\n", 100.0 * moved / KEYS);
	atomic_store(&fx.m[4].admin, LB_ADMIN_ENABLED);
	atomic_store(&fx.m[1].up, 1);
	for (size_t k = 0; k < KEYS; k++)
		assert_int_equal(pick_index(k, NULL), owner[k]);
	unpool();
}

/*
 * avoid gets the key's runner-up: the member the key would go to if
 * avoid were down.  So a retry is as sticky as the first try.
 */
static void
test_avoid(void **unused)
{
	static const unsigned w[] = { 3, 1, 1, 2 };
	size_t second[1000];

	(void)unused;
	pool(w, 4);
	map_keys();
	for (size_t k = 0; k < 1000; k++) {
		second[k] = pick_index(k, &fx.m[owner[k]]);
		assert_int_not_equal(second[k], owner[k]);
	}
	for (size_t r = 0; r < 4; r++) {
		atomic_store(&fx.m[r].up, 0);
		for (size_t k = 0; k < 1000; k++) {
			if (owner[k] != r)
				continue;
			assert_int_equal(pick_index(k, NULL), second[k]);
		}
		atomic_store(&fx.m[r].up, 1);
	}
	unpool();
}

static void
test_avoid_alone(void **unused)
{
	static const unsigned w[] = { 1, 1 };
	struct lb_member stranger;

	(void)unused;
	pool(w, 2);
	atomic_store(&fx.m[1].up, 0);
	assert_int_equal(pick_index(1, &fx.m[0]), 0);
	atomic_store(&fx.m[0].admin, LB_ADMIN_DISABLED);
	assert_null(pick_key(&fx.b, 1, &fx.m[0]));
	memset(&stranger, 0, sizeof(stranger));
	atomic_init(&stranger.up, 1);
	assert_null(pick_key(&fx.b, 1, &stranger));
	unpool();
}

static void
test_none_usable(void **unused)
{
	static const unsigned w[] = { 1, 2, 3 };

	(void)unused;
	pool(w, 3);
	atomic_store(&fx.m[0].up, 0);
	atomic_store(&fx.m[1].admin, LB_ADMIN_DISABLED);
	atomic_store(&fx.m[2].admin, LB_ADMIN_DRAIN);
	assert_null(pick_key(&fx.b, 7, NULL));
	assert_null(pick_key(&fx.b, 7, &fx.m[2]));
	unpool();
	pool(w, 0);
	assert_null(pick_key(&fx.b, 7, NULL));
	unpool();
}

/* No key is the empty key, whatever length comes with it. */
static void
test_null_key(void **unused)
{
	static const unsigned w[] = { 1, 2, 3 };
	struct lb_member *empty;

	(void)unused;
	pool(w, 3);
	empty = fx.b.ops->pick(&fx.b, "", 0, NULL);
	assert_non_null(empty);
	assert_ptr_equal(fx.b.ops->pick(&fx.b, NULL, 0, NULL), empty);
	assert_ptr_equal(fx.b.ops->pick(&fx.b, NULL, 12, NULL), empty);
	unpool();
}

/* Binary keys: every byte counts, NULs included. */
static void
test_binary_keys(void **unused)
{
	static const unsigned w[] = { 1, 1, 1, 1 };
	unsigned char key[16];
	size_t counts[MAXMEMBERS] = { 0 };

	(void)unused;
	pool(w, 4);
	memset(key, 0, sizeof(key));
	for (size_t i = 0; i < 4000; i++) {
		key[i % 16] = (unsigned char)(i / 16 + 1);
		counts[fx.b.ops->pick(&fx.b, key, sizeof(key), NULL)->index]++;
	}
	for (size_t i = 0; i < 4; i++)
		assert_true(counts[i] > 800 && counts[i] < 1200);
	unpool();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_key_same_member),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_consistency_two_down),
		cmocka_unit_test(test_avoid),
		cmocka_unit_test(test_avoid_alone),
		cmocka_unit_test(test_none_usable),
		cmocka_unit_test(test_null_key),
		cmocka_unit_test(test_binary_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
