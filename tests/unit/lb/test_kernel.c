/*
 * tests/unit/lb/test_kernel.c - lb/kernel.c: the weights in force an
 * l4-kernel virtual server's members get from what the master knows
 * (edgectl's admin state and weight, the monitor, slow-start's ramp
 * already applied), backups included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel.h"
#include "member.h"

static struct lb_member_conf members[3] = {
	{ .name = "a", .weight = 3 },
	{ .name = "b", .weight = 1 },
	{ .name = "spare", .weight = 2, .backup = true },
};
static const struct lb_pool_conf pool = { .name = "web",
    .members = members, .nmembers = 3 };

static void
weights(const struct lb_kernel_now *now, unsigned *w, bool *down)
{
	struct edged_kweight out[3];

	assert_int_equal(lb_kernel_weights(&pool, now, out), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(out[i].member, members[i].name);
		w[i] = out[i].weight;
		down[i] = out[i].down;
	}
}

/* All up: the members' weights, none for the backup. */
static void
all_up(void **state)
{
	const struct lb_kernel_now now[3] = { { LB_ADMIN_ENABLED, 3, false },
	    { LB_ADMIN_ENABLED, 1, false }, { LB_ADMIN_ENABLED, 2, false } };
	unsigned w[3];
	bool down[3];

	(void)state;
	weights(now, w, down);
	assert_int_equal(w[0], 3);
	assert_int_equal(w[1], 1);
	assert_int_equal(w[2], 0);
	assert_false(down[0] || down[1] || down[2]);
}

/* Down, drained, disabled: none; down and disabled are cut (with the
 * profile's on-member-down cut), a drained member's flows finish. */
static void
out_of_service(void **state)
{
	const struct lb_kernel_now now[3] = { { LB_ADMIN_DRAIN, 3, false },
	    { LB_ADMIN_ENABLED, 1, true }, { LB_ADMIN_DISABLED, 2, false } };
	unsigned w[3];
	bool down[3];

	(void)state;
	weights(now, w, down);
	assert_int_equal(w[0], 0);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 0);
	assert_false(down[0]);
	assert_true(down[1]);
	assert_true(down[2]);
}

/* Every other member out: the backup takes the flows. */
static void
backup_takes_over(void **state)
{
	const struct lb_kernel_now now[3] = { { LB_ADMIN_ENABLED, 3, true },
	    { LB_ADMIN_DRAIN, 1, false }, { LB_ADMIN_ENABLED, 2, false } };
	unsigned w[3];
	bool down[3];

	(void)state;
	weights(now, w, down);
	assert_int_equal(w[0], 0);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_up),
		cmocka_unit_test(out_of_service),
		cmocka_unit_test(backup_takes_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
