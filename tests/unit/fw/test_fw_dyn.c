/*
 * tests/unit/fw/test_fw_dyn.c - fw/fw_dyn.c's sort of a group's members
 * (a feed's 100,000 of them: a radix sort over the key bytes that
 * differ) against qsort with a comparator of the test's own: IPv4 before
 * IPv6, then the address, then the shorter prefix; duplicates dropped.
 * Random lists of both families, lists sorted but for a block (a feed's
 * churn), reversed, all alike, differing in one byte only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "fw_dyn.h"

static int
ref_cmp(const void *pa, const void *pb)
{
	const struct fw_prefix *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, 16)) != 0)
		return c;
	return (int)a->len - (int)b->len;
}

/* v (n) sorted both ways: the same members in the same order */
static void
check(struct fw_prefix *v, size_t n)
{
	struct fw_prefix *want = malloc((n + 1) * sizeof(*want));
	size_t nw = 0, got;

	assert_non_null(want);
	memcpy(want, v, n * sizeof(*v));
	qsort(want, n, sizeof(*want), ref_cmp);
	for (size_t i = 0; i < n; i++)
		if (nw == 0 || ref_cmp(&want[nw - 1], &want[i]) != 0)
			want[nw++] = want[i];
	got = fw_dyn_sort(v, n);
	assert_int_equal(got, nw);
	assert_memory_equal(v, want, nw * sizeof(*v));
	free(want);
}

/* a member: IPv6 one time in eight, a length that fits its family */
static void
random_member(struct fw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (rand() % 8 == 0) {
		p->family = AF_INET6;
		for (int i = 0; i < 16; i++)
			p->addr[i] = (uint8_t)(i < 2 ? 0x20 : rand());
		p->len = (uint8_t)(rand() % 2 ? 128 : 48 + rand() % 80);
	} else {
		p->family = AF_INET;
		p->addr[0] = 100;
		for (int i = 1; i < 4; i++)
			p->addr[i] = (uint8_t)(rand() % (i == 1 ? 4 : 256));
		p->len = (uint8_t)(rand() % 4 ? 32 : 8 + rand() % 24);
	}
}

static void
test_random(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 17, 1000, 100000 };

	(void)state;
	srand(20);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		struct fw_prefix *v = malloc(n * sizeof(*v));

		assert_non_null(v);
		for (size_t i = 0; i < n; i++)
			random_member(&v[i]);
		check(v, n);
		free(v);
	}
}

/* sorted but for a block moved, and reversed */
static void
test_nearly_sorted(void **state)
{
	size_t n = 50000;
	struct fw_prefix *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (int shape = 0; shape < 2; shape++) {
		for (size_t i = 0; i < n; i++) {
			uint32_t a = shape == 0 ? (uint32_t)(i >= 1000 &&
			    i < 2000 ? 3 * n + i : 2 * i) : (uint32_t)(n - i);

			memset(&v[i], 0, sizeof(v[i]));
			v[i].family = AF_INET;
			v[i].len = 32;
			v[i].addr[0] = 10;
			v[i].addr[1] = (uint8_t)(a >> 16);
			v[i].addr[2] = (uint8_t)(a >> 8);
			v[i].addr[3] = (uint8_t)a;
		}
		check(v, n);
	}
	free(v);
}

/* all alike (one member left); alike but for the length (the key's last
 * byte); alike but for the family (its first) */
static void
test_alike(void **state)
{
	struct fw_prefix v[64];

	(void)state;
	for (int shape = 0; shape < 3; shape++) {
		for (size_t i = 0; i < 64; i++) {
			memset(&v[i], 0, sizeof(v[i]));
			v[i].family = shape == 2 && i % 3 ? AF_INET6 : AF_INET;
			v[i].addr[0] = 192;
			v[i].len = (uint8_t)(shape == 1 ? 32 - i % 24 : 32);
		}
		check(v, 64);
		if (shape == 0)
			assert_int_equal(fw_dyn_sort(v, 64), 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_nearly_sorted),
		cmocka_unit_test(test_alike),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
