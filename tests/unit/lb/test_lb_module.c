/*
 * tests/unit/lb/test_lb_module.c - lb/lb_module.c's member messages
 * between master and worker: what lb_member_msg_format writes,
 * lb_member_msg_parse reads back, byte for byte as before; payloads that
 * are not "POOL MEMBER" are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_module.h"

static void
round_trip(void **state)
{
	char buf[LB_MEMBER_MSG_MAX + 1];
	char pool[LB_NAME_MAX], member[LB_NAME_MAX];
	int n;

	(void)state;
	n = lb_member_msg_format(buf, sizeof(buf), "web", "app-1");
	/* the wire format: the two names and one space, no NUL sent */
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "web app-1", 9);
	assert_int_equal(lb_member_msg_parse(buf, (size_t)n, pool, member), 0);
	assert_string_equal(pool, "web");
	assert_string_equal(member, "app-1");
}

/* The longest names a configuration holds, and no NUL after them. */
static void
longest_names(void **state)
{
	char name[LB_NAME_MAX], buf[LB_MEMBER_MSG_MAX + 1];
	char pool[LB_NAME_MAX], member[LB_NAME_MAX], wire[256];
	int n;

	(void)state;
	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	n = lb_member_msg_format(buf, sizeof(buf), name, name);
	assert_int_equal(n, LB_MEMBER_MSG_MAX);
	memset(wire, 'x', sizeof(wire));
	memcpy(wire, buf, (size_t)n);
	assert_int_equal(lb_member_msg_parse(wire, (size_t)n, pool, member), 0);
	assert_string_equal(pool, name);
	assert_string_equal(member, name);
}

static void
format_too_long(void **state)
{
	char buf[8];

	(void)state;
	errno = 0;
	assert_int_equal(lb_member_msg_format(buf, sizeof(buf), "pool",
	    "member"), -1);
	assert_int_equal(errno, EMSGSIZE);
}

static void
malformed_refused(void **state)
{
	static const char *const bad[] = { "", " ", "web", "web ", " \t\n" };
	char pool[LB_NAME_MAX], member[LB_NAME_MAX], big[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lb_member_msg_parse(bad[i], strlen(bad[i]),
		    pool, member), -1);
	/* the member cut off by len, though the bytes follow */
	assert_int_equal(lb_member_msg_parse("web app-1", 4, pool, member),
	    -1);
	/* longer than any two names */
	memset(big, 'a', sizeof(big));
	big[10] = ' ';
	assert_int_equal(lb_member_msg_parse(big, LB_MEMBER_MSG_MAX + 1,
	    pool, member), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(longest_names),
		cmocka_unit_test(format_too_long),
		cmocka_unit_test(malformed_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
