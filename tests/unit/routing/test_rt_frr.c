/*
 * tests/unit/routing/test_rt_frr.c - edged's section of frr.conf
 * (routing/rt_frr.c's rt_frr_merge and rt_frr_redact): the operator's
 * lines kept byte for byte around it, the section replaced, removed,
 * added to a file without one or without a last newline, every copy of
 * it taken out, and broken markers refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_frr.h"

#define BEGIN	RT_FRR_BEGIN " (edged's)\n"
#define END	RT_FRR_END "\n"

static void
merge_is(const char *text, const char *section, const char *want)
{
	char err[256];
	char *got = rt_frr_merge(text, strlen(text), section, err,
	    sizeof(err));

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_replace(void **state)
{
	(void)state;
	merge_is("frr defaults traditional\n" BEGIN "ip route 10.0.0.0/8 "
	    "blackhole\n" END "ip route 10.9.0.0/16 blackhole\n",
	    BEGIN "ip route 10.1.0.0/16 blackhole\n" END,
	    "frr defaults traditional\nip route 10.9.0.0/16 blackhole\n"
	    BEGIN "ip route 10.1.0.0/16 blackhole\n" END);
}

static void
test_remove_and_add(void **state)
{
	(void)state;
	merge_is("a\n" BEGIN "x\n" END "b\n", "", "a\nb\n");
	merge_is("a\n" BEGIN "x\n" END "b\n", NULL, "a\nb\n");
	merge_is("", BEGIN "x\n" END, BEGIN "x\n" END);
	/* the operator's last line has no newline: it keeps its own line */
	merge_is("a\n!\nb", BEGIN "x\n" END, "a\n!\nb\n" BEGIN "x\n" END);
	/* two sections (a copy pasted by hand): both go */
	merge_is(BEGIN "x\n" END "a\n" BEGIN "y\n" END, BEGIN "z\n" END,
	    "a\n" BEGIN "z\n" END);
	/* a marker must start its line to count */
	merge_is("  " RT_FRR_BEGIN "\nb\n", "", "  " RT_FRR_BEGIN "\nb\n");
}

static void
test_broken(void **state)
{
	const char *text = "a\n" BEGIN "x\n";
	char err[256];

	(void)state;
	assert_null(rt_frr_merge(text, strlen(text), "", err, sizeof(err)));
	assert_non_null(strstr(err, "line 2 begins edged's section"));
}

static void
test_redact(void **state)
{
	struct rt_conf c;
	struct rt_neighbor nb[2] = { { .password = "s3cr3t" },
	    { .password = "" } };
	char text[] = "neighbor 10.0.0.1 password s3cr3t; again s3cr3ts3cr3t";

	(void)state;
	rt_conf_init(&c);
	c.bgp.nb = nb;
	c.bgp.nnb = 2;
	rt_frr_redact(text, &c);
	assert_string_equal(text, "neighbor 10.0.0.1 password ******; again "
	    "************");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_remove_and_add),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
