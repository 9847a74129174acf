/*
 * tests/unit/core/test_ctl_alloc_fail.c - the control socket's command
 * parser (src/ctl_cmd.c) with one allocation failing, each in turn
 * (alloc_fail.h): the command of the run without a failure, or a
 * refusal that says "out of memory" and leaves nothing to free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "ctl_cmd.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Commands of each shape the rows' grammar has (module.h); the parser
 * is the unit, not the daemon's rows. */
static const struct edged_command rows[] = {
	{ "status", NULL, "", true, "", NULL },
	{ "show", "pool", "[POOL]", true, "", NULL },
	{ "member", "weight", "POOL MEMBER N", false, "", NULL },
	{ "group", "set", "NAME [ADDR...]", false, "", NULL },
	{ "firewall", "flush", "", false, "", NULL },
};
static const struct ctl_table table = { rows, NELEM(rows), NULL };

static const char *const lines[] = {
	"status\n",
	"show pool web json\r\n",
	"member weight web a1 7\n",
	"group set blocked 192.0.2.1 198.51.100.0/24 2001:db8::/32\n",
	"firewall flush\n",
	"bogus words here\n",		/* refused: unknown */
	"status\x1b\n",			/* refused: control byte */
	"reload",			/* refused: no end */
	" \t\n",			/* refused: no words */
};

/* Parses line, failing allocation n; returns whether one failed. */
static bool
parse_run(const char *line, unsigned long n, const struct ctl_cmd *want,
    int want_rc)
{
	struct ctl_cmd cmd;
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	bool fired;
	int rc;

	assert_non_null(buf);
	memcpy(buf, line, len + 1);
	alloc_fail_arm(n, false);
	rc = ctl_cmd_parse(buf, len, &table, 1, &cmd);
	fired = alloc_fail_disarm();
	if (rc == 0) {
		assert_int_equal(want_rc, 0);
		assert_ptr_equal(cmd.row, want->row);
		assert_int_equal(cmd.nwords, want->nwords);
		assert_int_equal(cmd.json, want->json);
		assert_null(cmd.error);
		ctl_cmd_free(&cmd);
	} else {
		assert_int_equal(rc, -1);
		assert_null(cmd.words);
		assert_non_null(cmd.error);
		if (want_rc == 0 || strcmp(cmd.error, want->error) != 0)
			assert_string_equal(cmd.error, "out of memory\n");
	}
	free(buf);
	return fired;
}

static void
test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(lines); i++) {
		struct ctl_cmd want;
		char buf[128];
		size_t len = strlen(lines[i]);
		size_t nwords;
		unsigned long n;
		int rc;

		memcpy(buf, lines[i], len + 1);
		rc = ctl_cmd_parse(buf, len, &table, 1, &want);
		if (rc == 0) {
			nwords = want.nwords;
			ctl_cmd_free(&want);
			want.nwords = nwords;
		}
		for (n = 1; parse_run(lines[i], n, &want, rc); n++)
			continue;
		/* one array of words at most */
		assert_true(n <= 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
