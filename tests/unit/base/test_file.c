/*
 * tests/unit/base/test_file.c - base/file.c: a file read whole (its
 * bytes and a NUL, its mode; what is not a regular file, a file over
 * the limit, one that is not there), and a file replaced whole (the
 * mode whatever the umask, the old one replaced, nothing beside it
 * left, a directory that is not there an error with the old file kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "file.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/edged-test-file.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void
test_replace_and_read(void **state)
{
	char p[128], q[128], *data;
	size_t len;
	mode_t mode, old = umask(022);

	(void)state;
	path_of(p, sizeof(p), "settings.conf");
	assert_int_equal(file_replace(p, "first\n", 6, 0600), 0);
	assert_int_equal(file_read(p, 1024, &data, &len, &mode), 0);
	assert_int_equal(len, 6);
	assert_string_equal(data, "first\n");
	assert_int_equal(mode & 07777, 0600);
	free(data);
	/* replaced, a mode the umask would have cut kept */
	umask(077);
	assert_int_equal(file_replace(p, "second, longer\n", 15, 0640), 0);
	assert_int_equal(file_read(p, 1024, &data, &len, &mode), 0);
	assert_string_equal(data, "second, longer\n");
	assert_int_equal(mode & 07777, 0640);
	free(data);
	path_of(q, sizeof(q), "settings.conf.new");
	assert_int_equal(access(q, F_OK), -1);
	/* the limit */
	errno = 0;
	assert_int_equal(file_read(p, 4, &data, &len, NULL), -1);
	assert_int_equal(errno, EFBIG);
	umask(old);
}

static void
test_errors(void **state)
{
	char p[128], *data;
	size_t len;

	(void)state;
	path_of(p, sizeof(p), "kept");
	assert_int_equal(file_replace(p, "kept\n", 5, 0600), 0);
	errno = 0;
	assert_int_equal(file_read(dir, 1024, &data, &len, NULL), -1);
	assert_int_equal(errno, EINVAL);
	path_of(p, sizeof(p), "nosuch/file");
	errno = 0;
	assert_int_equal(file_replace(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(file_read(p, 1024, &data, &len, NULL), -1);
	assert_int_equal(errno, ENOENT);
	/* a directory where the file would be: not replaced */
	path_of(p, sizeof(p), "adir");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(file_replace(p, "x", 1, 0600), -1);
	assert_int_equal(errno, EISDIR);
	path_of(p, sizeof(p), "kept");
	assert_int_equal(file_read(p, 1024, &data, &len, NULL), 0);
	assert_string_equal(data, "kept\n");
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_and_read),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
