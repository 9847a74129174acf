/*
 * tests/unit/lb/test_rule_conv_alloc_fail.c - lb/rule_conv.c meeting out
 * of memory at each allocation of lb_conv_compile and lb_conv_files in
 * turn (unit/alloc_fail.h): "out of memory", no chain, and nothing
 * leaked (ASan and valgrind see to that).  PCRE2's own allocations are
 * out of reach (alloc_fail.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "rule_conv.h"
#include "rule_run.h"

/* Every converter that allocates, and a map with a DEFAULT. */
static const char chain[] = ",lower,field(2,:),regsub('(a)b','\\1\\x41-',g),"
    "ipmask(24,64),map(m.map,dflt),map(m.map),upper";
static const char map_text[] = "a 1\nb 2\n# c\nd\n";

static void
test_compile(void **state)
{
	const struct lb_rule_file f = { "m.map", map_text,
		sizeof(map_text) - 1 };
	unsigned long n;

	(void)state;
	for (n = 1;; n++) {
		struct lb_conv_chain *c = NULL;
		char err[128] = "";
		int rc;

		alloc_fail_arm(n, false);
		rc = lb_conv_compile(chain, sizeof(chain) - 1, &f, 1, &c, err,
		    sizeof(err));
		if (!alloc_fail_disarm()) {
			assert_int_equal(rc, 0);
			assert_int_equal(lb_conv_count(c), 7);
			lb_conv_free(&c);
			break;
		}
		assert_int_equal(rc, -1);
		assert_string_equal(err, "out of memory");
		assert_null(c);
	}
	/* the text, the chain, its array, SUBST, a map's four, DEFAULT */
	assert_true(n > 10);
}

static int
count(const char *path, void *arg)
{
	(void)path;
	++*(int *)arg;
	return 0;
}

static void
test_files(void **state)
{
	int seen = 0;

	(void)state;
	alloc_fail_arm(1, false);
	assert_int_equal(lb_conv_files(chain, sizeof(chain) - 1, count,
	    &seen), -1);
	assert_true(alloc_fail_disarm());
	assert_int_equal(seen, 0);
	assert_int_equal(lb_conv_files(chain, sizeof(chain) - 1, count,
	    &seen), 0);
	assert_int_equal(seen, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
