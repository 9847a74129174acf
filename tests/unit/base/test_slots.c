/*
 * tests/unit/base/test_slots.c - base/slots.c: generations written in
 * turn into PATH.0 and PATH.1 and the newer read back; a torn slot (its
 * text, its header, cut short) skipped for the other; a slot grown when
 * the text outgrows it and kept at its size after; nothing there; an
 * empty text; a failed write leaving the other slot as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "slots.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/edged-test-slots.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/groups", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static off_t
size_of(unsigned slot)
{
	char p[160];
	struct stat st;

	snprintf(p, sizeof(p), "%s.%u", path, slot);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	return st.st_size;
}

/* the newer slot holds want, generation gen */
static void
expect(const char *want, uint64_t gen)
{
	char *data;
	size_t len;
	uint64_t g;

	assert_int_equal(slots_read(path, 1 << 20, &data, &len, &g), 0);
	assert_int_equal(g, gen);
	assert_int_equal(len, strlen(want));
	assert_string_equal(data, want);
	free(data);
}

static void
put(uint64_t gen, const char *text)
{
	assert_int_equal(slots_write(path, gen, text, strlen(text)), 0);
}

static void
test_turns(void **state)
{
	char *data = (char *)"x";
	size_t len;
	uint64_t g = 7;

	(void)state;
	assert_int_equal(slots_read(path, 1 << 20, &data, &len, &g), 1);
	assert_null(data);
	assert_int_equal(g, 0);
	put(1, "web 10.0.0.1\n");
	expect("web 10.0.0.1\n", 1);
	assert_int_equal(size_of(1), 16384);
	put(2, "web 10.0.0.1 10.0.0.2\n");
	expect("web 10.0.0.1 10.0.0.2\n", 2);
	put(3, "");
	expect("", 3);
	assert_int_equal(size_of(1), 16384);
	assert_int_equal(size_of(0), 16384);
}

/* slot p's byte at off changed, or the slot cut to len */
static void
spoil(unsigned slot, off_t off, off_t len)
{
	char p[160];
	int fd;

	snprintf(p, sizeof(p), "%s.%u", path, slot);
	assert_true((fd = open(p, O_RDWR)) >= 0);
	if (len >= 0)
		assert_int_equal(ftruncate(fd, len), 0);
	else
		assert_int_equal(pwrite(fd, "#", 1, off), 1);
	close(fd);
}

static void
test_torn(void **state)
{
	char *data;
	size_t len;
	uint64_t g;

	(void)state;
	put(4, "a 10.0.0.4\n");
	put(5, "a 10.0.0.5\n");
	spoil(1, 62, -1);		/* in the text */
	expect("a 10.0.0.4\n", 4);
	put(5, "a 10.0.0.5\n");
	expect("a 10.0.0.5\n", 5);
	spoil(1, 20, -1);		/* the generation */
	expect("a 10.0.0.4\n", 4);
	put(5, "a 10.0.0.5\n");
	spoil(1, 0, 30);		/* cut short */
	expect("a 10.0.0.4\n", 4);
	spoil(0, 0, 0);
	assert_int_equal(slots_read(path, 1 << 20, &data, &len, &g), 1);
	assert_null(data);
}

static void
test_grow(void **state)
{
	size_t n = 40000;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
	big[n] = '\0';
	put(6, "small\n");
	put(7, big);
	expect(big, 7);
	/* room for half as much again, in 16 KiB steps */
	assert_int_equal(size_of(1), 65536);
	put(9, "small again\n");
	expect("small again\n", 9);
	assert_int_equal(size_of(1), 65536);
	free(big);
}

/* slot 1 cannot be written (a directory in its place): -1, and slot 0
 * as it was */
static void
test_failure(void **state)
{
	char p[160], *data;
	size_t len;
	uint64_t g;

	(void)state;
	put(2, "kept\n");
	snprintf(p, sizeof(p), "%s.1", path);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(slots_write(path, 3, "lost\n", 5), -1);
	assert_int_equal(errno, EISDIR);
	/* a slot that cannot be read is an error, not a slot skipped: it
	 * may be the newer one */
	assert_int_equal(slots_read(path, 1 << 20, &data, &len, &g), -1);
	assert_int_equal(rmdir(p), 0);
	expect("kept\n", 2);
	/* the error is the unreadable slot's, whichever it is */
	snprintf(p, sizeof(p), "%s.0", path);
	assert_int_equal(rename(p, path), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(slots_read(path, 1 << 20, &data, &len, &g), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(rename(path, p), 0);
	expect("kept\n", 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_turns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
