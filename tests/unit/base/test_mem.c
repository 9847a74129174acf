/*
 * tests/unit/base/test_mem.c - base/mem.c: arrays grown by doubling, a
 * size or count of 0, and the caller's array left whole when the count
 * overflows or the allocator fails (unit/alloc_fail.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "mem.h"

/* An array of n ints 0..n-1, grown one element at a time. */
static int *
filled(size_t n, size_t *cap)
{
	int *v = NULL;

	*cap = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(mem_grow(&v, cap, i + 1, sizeof(*v)), 0);
		v[i] = (int)i;
	}
	return v;
}

static void
assert_filled(const int *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], (int)i);
}

/* From empty to 8, then doubling, each element kept; no call when the
 * capacity is enough already. */
static void
test_grow_doubles(void **state)
{
	size_t cap;
	int *v = filled(8, &cap), *was = v;

	(void)state;
	assert_int_equal(cap, 8);
	assert_int_equal(mem_grow(&v, &cap, 8, sizeof(*v)), 0);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 8);
	assert_int_equal(mem_grow(&v, &cap, 9, sizeof(*v)), 0);
	assert_int_equal(cap, 16);
	assert_filled(v, 8);
	/* a need past double: doubled again until it fits, a power of two */
	assert_int_equal(mem_grow(&v, &cap, 100, sizeof(*v)), 0);
	assert_int_equal(cap, 128);
	assert_filled(v, 8);
	free(v);

	v = filled(1000, &cap);
	assert_int_equal(cap, 1024);
	assert_filled(v, 1000);
	free(v);
}

/* need 0 on an empty array: nothing to do, nothing allocated. */
static void
test_grow_nothing(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(mem_grow(&v, &cap, 0, sizeof(*v)), 0);
	assert_null(v);
	assert_int_equal(cap, 0);
}

/* Checks that v (n filled, capacity cap) is as it was after a failure. */
static void
assert_unchanged(int *v, int *was, size_t cap, size_t wascap, size_t n)
{
	assert_ptr_equal(v, was);
	assert_int_equal(cap, wascap);
	assert_filled(v, n);
}

/* need * size past SIZE_MAX: -1 (ENOMEM) before any allocation, the
 * array and its capacity as they were. */
static void
test_grow_overflow(void **state)
{
	size_t cap;
	int *v = filled(5, &cap), *was = v;

	(void)state;
	errno = 0;
	assert_int_equal(mem_grow(&v, &cap, SIZE_MAX, sizeof(*v)), -1);
	assert_int_equal(errno, ENOMEM);
	assert_unchanged(v, was, cap, 8, 5);
	errno = 0;
	assert_int_equal(mem_grow(&v, &cap, SIZE_MAX / sizeof(*v) + 1,
	    sizeof(*v)), -1);
	assert_int_equal(errno, ENOMEM);
	assert_unchanged(v, was, cap, 8, 5);
	errno = 0;
	assert_int_equal(mem_grow(&v, &cap, 9, SIZE_MAX), -1);
	assert_int_equal(errno, ENOMEM);
	assert_unchanged(v, was, cap, 8, 5);
	errno = 0;
	assert_int_equal(mem_resize(&v, SIZE_MAX / 2 + 1, 2), -1);
	assert_int_equal(errno, ENOMEM);
	assert_unchanged(v, was, cap, 8, 5);
	free(v);

	/* an empty array stays empty */
	v = NULL;
	cap = 0;
	assert_int_equal(mem_grow(&v, &cap, SIZE_MAX, 2), -1);
	assert_null(v);
	assert_int_equal(cap, 0);

	errno = 0;
	assert_null(mem_array(SIZE_MAX / 2 + 1, 2));
	assert_int_equal(errno, ENOMEM);
}

/* realloc and calloc failing: -1 or NULL with ENOMEM, the array whole
 * and still the caller's (the sanitizers would see it leak or freed). */
static void
test_out_of_memory(void **state)
{
	size_t cap;
	int *v = filled(8, &cap), *was = v;

	(void)state;
	alloc_fail_arm(1, false);
	assert_int_equal(mem_grow(&v, &cap, 9, sizeof(*v)), -1);
	assert_true(alloc_fail_disarm());
	assert_int_equal(errno, ENOMEM);
	assert_unchanged(v, was, cap, 8, 8);

	alloc_fail_arm(1, false);
	assert_int_equal(mem_resize(&v, 9, sizeof(*v)), -1);
	assert_true(alloc_fail_disarm());
	assert_unchanged(v, was, cap, 8, 8);
	free(v);

	alloc_fail_arm(1, false);
	assert_null(mem_array(4, sizeof(int)));
	assert_true(alloc_fail_disarm());
	assert_int_equal(errno, ENOMEM);
}

/* A size or count of 0: a pointer to free all the same, never the NULL
 * of realloc(p, 0) having freed p. */
static void
test_zero(void **state)
{
	char *v = NULL, *a, *b;
	size_t cap = 0;
	int *one;

	(void)state;
	assert_int_equal(mem_grow(&v, &cap, 3, 0), 0);
	assert_non_null(v);
	assert_int_equal(cap, 8);
	assert_int_equal(mem_resize(&v, 0, 1), 0);
	assert_non_null(v);
	assert_int_equal(mem_resize(&v, 5, 0), 0);
	assert_non_null(v);
	free(v);

	/* calloc(0) may be NULL: here one element, zeroed, and unique */
	assert_non_null(one = mem_array(0, sizeof(*one)));
	assert_int_equal(*one, 0);
	assert_non_null(a = mem_array(0, 0));
	assert_non_null(b = mem_array(3, 0));
	assert_ptr_not_equal(a, b);
	free(one);
	free(a);
	free(b);
}

/* mem_resize: exactly n, the elements below n kept, shrinking too. */
static void
test_resize(void **state)
{
	int *v = NULL;

	(void)state;
	for (size_t i = 0; i < 20; i++) {
		assert_int_equal(mem_resize(&v, i + 1, sizeof(*v)), 0);
		v[i] = (int)i;
	}
	assert_int_equal(mem_resize(&v, 3, sizeof(*v)), 0);
	assert_filled(v, 3);
	free(v);
}

/* mem_array: zeroed. */
static void
test_array_zeroed(void **state)
{
	size_t n = 1000;
	unsigned char *p = mem_array(n, sizeof(long));

	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < n * sizeof(long); i++)
		assert_int_equal(p[i], 0);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_doubles),
		cmocka_unit_test(test_grow_nothing),
		cmocka_unit_test(test_grow_overflow),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_array_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
