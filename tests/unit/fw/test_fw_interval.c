/*
 * tests/unit/fw/test_fw_interval.c - fw/fw_interval.c: group members
 * merged into the disjoint ranges of an interval set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "fw_nft.h"

#define MAXP	16

/* The ranges of family fam among the prefixes words, as one string of
 * fw_range_fmt's texts separated by spaces. */
static char *
merged(const char *const *words, int fam)
{
	struct fw_prefix p[MAXP];
	struct fw_range *r;
	static char out[1024];
	size_t n = 0, len = 0;
	ssize_t k;

	for (; words[n] != NULL; n++)
		assert_int_equal(fw_prefix_parse(words[n], &p[n]), 0);
	k = fw_ranges_merge(p, n, fam, &r);
	assert_true(k >= 0);
	out[0] = '\0';
	for (ssize_t i = 0; i < k; i++) {
		char a[100];

		fw_range_fmt(a, sizeof(a), &r[i], fam);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? " " : "", a);
	}
	free(r);
	return out;
}

#define WORDS(...)	((const char *const[]){ __VA_ARGS__, NULL })

/* fw_range_fmt's texts of r[0..n), separated by spaces, into out */
static void
fmt_ranges(char *out, size_t size, const struct fw_range *r, size_t n,
    int fam)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char a[100];

		fw_range_fmt(a, sizeof(a), &r[i], fam);
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    i ? " " : "", a);
	}
}

/* From the members before to those after (IPv4): the ranges gone and
 * come, as "GONE | COME" */
static char *
diffed(const char *const *before, const char *const *after)
{
	struct fw_prefix pb[MAXP], pa[MAXP];
	struct fw_range *rb, *ra, *gone, *come;
	size_t nb = 0, na = 0, ngone, ncome;
	static char out[2100];
	char g[1024], c[1024];
	ssize_t kb, ka;

	for (; before[nb] != NULL; nb++)
		assert_int_equal(fw_prefix_parse(before[nb], &pb[nb]), 0);
	for (; after[na] != NULL; na++)
		assert_int_equal(fw_prefix_parse(after[na], &pa[na]), 0);
	kb = fw_ranges_merge(pb, nb, AF_INET, &rb);
	ka = fw_ranges_merge(pa, na, AF_INET, &ra);
	assert_true(kb >= 0 && ka >= 0);
	assert_int_equal(fw_ranges_diff(rb, (size_t)kb, ra, (size_t)ka,
	    &gone, &ngone, &come, &ncome), 0);
	fmt_ranges(g, sizeof(g), gone, ngone, AF_INET);
	fmt_ranges(c, sizeof(c), come, ncome, AF_INET);
	snprintf(out, sizeof(out), "%s | %s", g, c);
	free(rb);
	free(ra);
	free(gone);
	free(come);
	return out;
}

static void
test_diff(void **state)
{
	(void)state;
	/* nothing changes */
	assert_string_equal(diffed(WORDS("10.0.0.0/8"),
	    WORDS("10.0.0.0/8", "10.1.0.0/16")), " | ");
	/* one added, one taken away, the rest untouched */
	assert_string_equal(diffed(WORDS("10.0.0.1", "10.0.0.9"),
	    WORDS("10.0.0.9", "192.0.2.1")), "10.0.0.1 | 192.0.2.1");
	/* a range that grows: the old one goes, the new one comes */
	assert_string_equal(diffed(WORDS("10.0.0.0/25"),
	    WORDS("10.0.0.0/25", "10.0.0.128/25")),
	    "10.0.0.0/25 | 10.0.0.0/24");
	/* one split in two by a member taken away */
	assert_string_equal(diffed(WORDS("10.0.0.0/25", "10.0.0.128",
	    "10.0.0.129/32", "10.0.0.130/31"), WORDS("10.0.0.0/25",
	    "10.0.0.130/31")), "10.0.0.0-10.0.0.131 | 10.0.0.0/25 "
	    "10.0.0.130/31");
	/* from nothing, to nothing */
	assert_string_equal(diffed(WORDS("0.0.0.0/0"), WORDS("10.0.0.1")),
	    "0.0.0.0/0 | 10.0.0.1");
	assert_string_equal(diffed(WORDS("255.255.255.255"),
	    WORDS("255.255.255.254/31")), "255.255.255.255 | "
	    "255.255.255.254/31");
}

static void
test_disjoint_sorted(void **state)
{
	(void)state;
	assert_string_equal(merged(WORDS("10.0.2.0/24", "10.0.0.1",
	    "192.0.2.7"), AF_INET), "10.0.0.1 10.0.2.0/24 192.0.2.7");
}

static void
test_contained_and_duplicate(void **state)
{
	(void)state;
	assert_string_equal(merged(WORDS("10.1.2.0/24", "10.0.0.0/8",
	    "10.9.9.9", "10.0.0.0/8", "11.0.0.1", "11.0.0.1"), AF_INET),
	    "10.0.0.0/8 11.0.0.1");
}

static void
test_adjacent_join(void **state)
{
	(void)state;
	/* two halves make the whole prefix */
	assert_string_equal(merged(WORDS("10.0.0.128/25", "10.0.0.0/25"),
	    AF_INET), "10.0.0.0/24");
	/* touching, but no prefix: a range */
	assert_string_equal(merged(WORDS("10.0.0.0/28", "10.0.0.16"),
	    AF_INET), "10.0.0.0-10.0.0.16");
	/* one address apart: two elements */
	assert_string_equal(merged(WORDS("10.0.0.0/28", "10.0.0.17"),
	    AF_INET), "10.0.0.0/28 10.0.0.17");
}

static void
test_overlap_extends(void **state)
{
	(void)state;
	/* an overlap that is no containment */
	assert_string_equal(merged(WORDS("10.0.0.0/23", "10.0.1.0/24",
	    "10.0.1.255", "10.0.2.0/24"), AF_INET), "10.0.0.0-10.0.2.255");
}

static void
test_top_of_space(void **state)
{
	(void)state;
	/* the last address has no successor: nothing wraps to 0 */
	assert_string_equal(merged(WORDS("255.255.255.255", "0.0.0.0"),
	    AF_INET), "0.0.0.0 255.255.255.255");
	assert_string_equal(merged(WORDS("0.0.0.0/0", "1.2.3.4"), AF_INET),
	    "0.0.0.0/0");
	assert_string_equal(merged(WORDS("ffff::/16", "::/1"), AF_INET6),
	    "::/1 ffff::/16");
}

static void
test_families_apart(void **state)
{
	(void)state;
	assert_string_equal(merged(WORDS("2001:db8::/33",
	    "2001:db8:8000::/33", "10.0.0.1", "2001:db8::5"), AF_INET6),
	    "2001:db8::/32");
	assert_string_equal(merged(WORDS("2001:db8::/33", "10.0.0.1"),
	    AF_INET), "10.0.0.1");
	assert_string_equal(merged(WORDS("2001:db8::/33"), AF_INET), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disjoint_sorted),
		cmocka_unit_test(test_contained_and_duplicate),
		cmocka_unit_test(test_adjacent_join),
		cmocka_unit_test(test_overlap_extends),
		cmocka_unit_test(test_top_of_space),
		cmocka_unit_test(test_families_apart),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
