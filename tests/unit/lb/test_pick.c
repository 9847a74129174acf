/*
 * tests/unit/lb/test_pick.c - lb/pick.c with fake balancers: tiers
 * (backups only when no primary is usable), the round-robin fallback of
 * keyless hash requests, and retries that avoid every member that failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pick.h"

/* The algorithm's fake: first usable member.  The fallback's: last. */
static struct lb_member *
first_usable(struct lb_balancer *b, const void *key, size_t keylen,
    const struct lb_member *avoid)
{
	(void)key;
	(void)keylen;
	(void)avoid;
	for (size_t i = 0; i < b->nmembers; i++)
		if (lb_member_usable(b->members[i]))
			return b->members[i];
	return NULL;
}

static struct lb_member *
last_usable(struct lb_balancer *b, const void *key, size_t keylen,
    const struct lb_member *avoid)
{
	(void)key;
	(void)keylen;
	(void)avoid;
	for (size_t i = b->nmembers; i > 0; i--)
		if (lb_member_usable(b->members[i - 1]))
			return b->members[i - 1];
	return NULL;
}

static int
no_init(struct lb_balancer *b)
{
	(void)b;
	return 0;
}

static void
no_fini(struct lb_balancer *b)
{
	(void)b;
}

static const struct lb_balancer_ops algo = { "algo", no_init, first_usable,
    no_fini };
static const struct lb_balancer_ops rr = { "rr", no_init, last_usable,
    no_fini };

struct fixture {
	struct lb_member m[5];		/* p1 p2 p3 | b1 b2 */
	struct lb_member *pri[3], *bak[2];
	struct lb_pool_bal pb;
};

static struct fixture f;

static void
setup_pool(bool hash)
{
	static const char *const names[] = { "p1", "p2", "p3", "b1", "b2" };

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 5; i++) {
		f.m[i].name = names[i];
		f.m[i].weight = 1;
		f.m[i].backup = i >= 3;
		atomic_init(&f.m[i].up, 1);
		atomic_init(&f.m[i].admin, LB_ADMIN_ENABLED);
	}
	for (int i = 0; i < 3; i++)
		f.pri[i] = &f.m[i];
	for (int i = 0; i < 2; i++)
		f.bak[i] = &f.m[3 + i];
	f.pb.primary = (struct lb_balancer){ &algo, f.pri, 3, NULL };
	f.pb.backup = (struct lb_balancer){ &algo, f.bak, 2, NULL };
	f.pb.fb_primary = (struct lb_balancer){ &rr, f.pri, 3, NULL };
	f.pb.fb_backup = (struct lb_balancer){ &rr, f.bak, 2, NULL };
	f.pb.hash = hash;
}

static void
down(int i)
{
	atomic_store(&f.m[i].up, 0);
}

static void
primaries_first(void **state)
{
	(void)state;
	setup_pool(false);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[0]);
	down(0);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[1]);
}

static void
backups_only_when_no_primary(void **state)
{
	(void)state;
	setup_pool(false);
	down(0);
	down(1);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[2]);
	atomic_store(&f.m[2].admin, LB_ADMIN_DRAIN);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[3]);
	atomic_store(&f.m[2].admin, LB_ADMIN_ENABLED);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[2]);
}

static void
none_usable(void **state)
{
	(void)state;
	setup_pool(false);
	for (int i = 0; i < 5; i++)
		down(i);
	assert_null(lb_pick(&f.pb, NULL, 0, NULL, 0));
	assert_null(lb_pick(&f.pb, "k", 1, NULL, 0));
}

/* least-conn and round-robin have no key: their own balancer decides. */
static void
keyless_algorithm_uses_its_balancer(void **state)
{
	(void)state;
	setup_pool(false);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[0]);
}

static void
hash_without_key_falls_back(void **state)
{
	(void)state;
	setup_pool(true);
	assert_ptr_equal(lb_pick(&f.pb, "k", 1, NULL, 0), &f.m[0]);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[2]);
	down(0);
	down(1);
	down(2);
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, NULL, 0), &f.m[4]);
	assert_ptr_equal(lb_pick(&f.pb, "k", 1, NULL, 0), &f.m[3]);
}

static void
retry_avoids_every_failed_member(void **state)
{
	struct lb_member *failed[4] = { &f.m[0] };
	struct lb_member *m;

	(void)state;
	setup_pool(false);
	m = lb_pick(&f.pb, NULL, 0, failed, 1);
	assert_true(m == &f.m[1] || m == &f.m[2]);
	failed[1] = &f.m[1];
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, failed, 2), &f.m[2]);
	failed[2] = &f.m[2];
	/* every primary failed this request: the backups */
	m = lb_pick(&f.pb, NULL, 0, failed, 3);
	assert_true(m == &f.m[3] || m == &f.m[4]);
	failed[3] = m;
	assert_ptr_equal(lb_pick(&f.pb, NULL, 0, failed, 4),
	    m == &f.m[3] ? &f.m[4] : &f.m[3]);
}

static void
retry_skips_unusable_and_ends(void **state)
{
	struct lb_member *failed[2] = { &f.m[3] };

	(void)state;
	setup_pool(false);
	down(0);
	down(1);
	down(2);
	down(4);
	/* only b1 was usable, and it failed */
	assert_null(lb_pick(&f.pb, NULL, 0, failed, 1));
}

static void
retries_rotate(void **state)
{
	struct lb_member *failed[1] = { &f.m[0] };
	unsigned seen[3] = { 0 };

	(void)state;
	setup_pool(false);
	for (int i = 0; i < 100; i++) {
		struct lb_member *m = lb_pick(&f.pb, NULL, 0, failed, 1);

		assert_non_null(m);
		assert_ptr_not_equal(m, &f.m[0]);
		seen[m - f.m]++;
	}
	/* spread over p2 and p3, not always the first one found */
	assert_true(seen[1] >= 40 && seen[2] >= 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primaries_first),
		cmocka_unit_test(backups_only_when_no_primary),
		cmocka_unit_test(none_usable),
		cmocka_unit_test(keyless_algorithm_uses_its_balancer),
		cmocka_unit_test(hash_without_key_falls_back),
		cmocka_unit_test(retry_avoids_every_failed_member),
		cmocka_unit_test(retry_skips_unusable_and_ends),
		cmocka_unit_test(retries_rotate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
