/*
 * tests/unit/conf/test_module.c - conf/module.c: the grammar of a
 * command's args (what edgectl and the master check a command's words
 * against), its usage text, and the endpoint list modules fill.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "module.h"

static bool
fits(const char *args, const char *line)
{
	struct edged_command cmd = { "w", NULL, args, false, "", NULL };
	char buf[256], *words[16];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t != NULL && n < 16;
	    t = strtok(NULL, " "))
		words[n++] = t;
	return edged_command_fits(&cmd, words, n);
}

static void
test_fits(void **state)
{
	(void)state;
	/* nothing */
	assert_true(fits("", ""));
	assert_false(fits("", "x"));
	/* NAME: one word each */
	assert_true(fits("POOL MEMBER", "p m"));
	assert_false(fits("POOL MEMBER", "p"));
	assert_false(fits("POOL MEMBER", "p m x"));
	/* [NAME]: none or one */
	assert_true(fits("[POOL]", ""));
	assert_true(fits("[POOL]", "p"));
	assert_false(fits("[POOL]", "p q"));
	/* NAME...: one or more; [NAME...]: any */
	assert_false(fits("NAME ADDR...", "g"));
	assert_true(fits("NAME ADDR...", "g 192.0.2.1"));
	assert_true(fits("NAME ADDR...", "g 192.0.2.1 192.0.2.2 ::1"));
	assert_true(fits("NAME [ADDR...]", "g"));
	assert_true(fits("NAME [ADDR...]", "g a b c"));
	/* alternatives, and a literal word */
	assert_true(fits("POOL MEMBER | --all", "p m"));
	assert_true(fits("POOL MEMBER | --all", "--all"));
	assert_false(fits("POOL MEMBER | --all", "--al"));
	assert_false(fits("POOL MEMBER | --all", "p"));
	assert_false(fits("POOL MEMBER | --all", "--all p q"));
	/* a literal matches only where an alternative has it: here, as
	 * POOL, "--all" is a word like any other */
	assert_true(fits("POOL MEMBER | --all", "--all p"));
	/* a name with a digit or a dash is still a name */
	assert_true(fits("V6-ADDR N2", "a b"));
}

static void
test_usage(void **state)
{
	const struct edged_command reset = { "member", "reset",
	    "POOL MEMBER | --all", false, "", NULL };
	const struct edged_command show = { "show", "pool", "[POOL]", true,
	    "", NULL };
	const struct edged_command status = { "status", NULL, "", true, "",
	    NULL };
	char buf[128];

	(void)state;
	edged_command_usage(&reset, true, buf, sizeof(buf));
	assert_string_equal(buf, "member reset POOL MEMBER, or member reset "
	    "--all");
	edged_command_usage(&show, true, buf, sizeof(buf));
	assert_string_equal(buf, "show pool [POOL] [--json]");
	edged_command_usage(&show, false, buf, sizeof(buf));
	assert_string_equal(buf, "show pool [POOL] [json]");
	edged_command_usage(&status, true, buf, sizeof(buf));
	assert_string_equal(buf, "status [--json]");
	/* cut short, still a string */
	edged_command_usage(&reset, true, buf, 16);
	assert_true(strlen(buf) < 16);
}

static void
test_endpoints(void **state)
{
	struct edged_endpoints eps = { 0 };
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	char what[200];

	(void)state;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(443);
	for (int i = 0; i < 20; i++)
		assert_int_equal(edged_endpoints_add(&eps, &ss, IPPROTO_TCP,
		    "virtual-server web"), 0);
	assert_int_equal(eps.n, 20);
	assert_int_equal(eps.v[19].proto, IPPROTO_TCP);
	assert_string_equal(eps.v[19].what, "virtual-server web");
	sin = (struct sockaddr_in *)&eps.v[0].addr;
	assert_int_equal(ntohs(sin->sin_port), 443);
	/* what is cut to fit, never overrun */
	memset(what, 'x', sizeof(what) - 1);
	what[sizeof(what) - 1] = '\0';
	assert_int_equal(edged_endpoints_add(&eps, &ss, IPPROTO_UDP, what), 0);
	assert_int_equal(strlen(eps.v[20].what), sizeof(eps.v[20].what) - 1);
	edged_endpoints_release(&eps);
	assert_null(eps.v);
	assert_int_equal(eps.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
