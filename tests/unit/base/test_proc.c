/*
 * tests/unit/base/test_proc.c - base/proc.c's proc_run against real
 * programs (/bin/sh, /bin/cat): output and exit status, both streams in
 * one buffer, output beyond the buffer read and dropped, the time limit,
 * a program that is not there, no descriptor of the caller's inherited,
 * the umask.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"

static int
sh(const char *script, double timeout, char *out, size_t size)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

	return proc_run(argv, timeout, out, size);
}

static void
test_status_and_output(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(sh("echo out; echo err >&2; exit 3", 5, out,
	    sizeof(out)), 3);
	assert_string_equal(out, "out\nerr\n");
	assert_int_equal(sh("true", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void
test_truncated(void **state)
{
	char out[8];

	(void)state;
	/* 100 kB: more than a pipe holds, so it must be read to the end */
	assert_int_equal(sh("head -c 100000 /dev/zero | tr '\\0' x", 5, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "xxxxxxx");
}

static void
test_timeout(void **state)
{
	struct timespec a, b;
	char out[256];

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(sh("echo started; exec sleep 30", 0.3, out,
	    sizeof(out)), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 10);
	assert_non_null(strstr(out, "took more than its time"));
	/* one that closes its output but does not end */
	assert_int_equal(sh("exec >&- 2>&-; sleep 30", 0.3, out,
	    sizeof(out)), -1);
}

static void
test_missing(void **state)
{
	const char *argv[] = { "/nonexistent/program", NULL };
	char out[256];

	(void)state;
	assert_int_equal(proc_run(argv, 5, out, sizeof(out)), 127);
	assert_non_null(strstr(out, "cannot run /nonexistent/program"));
}

static void
test_no_fd_inherited(void **state)
{
	char out[256], script[64];
	int fd = open("/dev/null", O_RDONLY);	/* not close-on-exec */

	(void)state;
	assert_true(fd > 2);
	snprintf(script, sizeof(script), "test -e /proc/self/fd/%d && echo "
	    "open; umask", fd);
	assert_int_equal(sh(script, 5, out, sizeof(out)), 0);
	assert_string_equal(out, "0077\n");
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_and_output),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_no_fd_inherited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
