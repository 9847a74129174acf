/*
 * tests/unit/fw/test_fw_feed.c - fw/fw_feed_parse.c: a feed's text,
 * format list, read into members: addresses, prefixes, ranges taken as
 * the prefixes that cover them exactly (fw_interval.c's
 * fw_range_prefixes), comments and text after a word ignored, bad lines
 * refused and told, max entries, Windows line ends, a last line without
 * its end, NUL bytes; and format json (fw_feed_json.c): jq's paths
 * walked, strings taken, other values refused, a text that is not JSON
 * or whose paths lead nowhere an error, an empty array no error.
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

#include "fw_feed.h"
#include "fw_nft.h"

/* l's members as text, separated by spaces */
static const char *
members(const struct fw_feed_list *l)
{
	static char out[4096];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		char a[64];

		fw_prefix_fmt(a, sizeof(a), &l->v[i]);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? " " : "", a);
	}
	return out;
}

static void
parse(const char *text, size_t len, uint64_t max, struct fw_feed_list *l)
{
	assert_int_equal(fw_feed_parse_list(text, len, max, l), 0);
}

static void
test_list(void **state)
{
	static const char text[] =
	    "# a feed\n"
	    "\n"
	    "192.0.2.1\n"
	    "  10.0.0.0/8   # a prefix\n"
	    "2001:db8::/32 text after it\r\n"
	    "198.51.100.10-198.51.100.20 a range\n"
	    "not-an-address\n"
	    "10.0.0.1/8\n"
	    "192.0.2.9-192.0.2.1\n"
	    "203.0.113.7";		/* no line end */
	struct fw_feed_list l;

	(void)state;
	parse(text, sizeof(text) - 1, 100, &l);
	assert_int_equal(l.lines, 10);
	assert_int_equal(l.entries, 5);
	assert_int_equal(l.refused, 3);
	assert_false(l.truncated);
	assert_string_equal(members(&l), "192.0.2.1 10.0.0.0/8 "
	    "2001:db8::/32 198.51.100.10/31 198.51.100.12/30 "
	    "198.51.100.16/30 198.51.100.20 203.0.113.7");
	assert_int_equal(l.nshown, 3);
	assert_string_equal(l.shown[0], "line 7: 'not-an-address': not an "
	    "address, a prefix or a range");
	assert_string_equal(l.shown[1], "line 8: '10.0.0.1/8': bits set "
	    "after the prefix length");
	assert_string_equal(l.shown[2], "line 9: '192.0.2.9-192.0.2.1': a "
	    "range that ends before it starts");
	fw_feed_list_free(&l);
}

/* The dotted quads read on the fast path (fw_feed_parse.c's plain_v4)
 * are read as fw_prefix_parse reads them, and what is not one is left
 * to it: the same members, the same refusals. */
static void
test_plain_v4(void **state)
{
	static const char *const words[] = {
		"0.0.0.0", "255.255.255.255", "1.2.3.4", "10.20.30.40",
		"01.2.3.4", "1.2.3.04", "0.0.0.00", "192.168.001.1",
		"1.2.3.256", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..3.4",
		".1.2.3", "1.2.3.", "1234.1.1.1", "1.2.3.4a", "1.2.3.4/32",
		"1.2.3.0/24", "1.2.3.4/24", "::ffff:1.2.3.4", "1.2.3.-4",
		"+1.2.3.4", "1.2.3.4-1.2.3.5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct fw_feed_list l;
		struct fw_prefix p;
		int r = fw_prefix_parse(words[i], &p);
		char want[64];

		parse(words[i], strlen(words[i]), 10, &l);
		if (r == 0) {
			fw_prefix_fmt(want, sizeof(want), &p);
			assert_int_equal(l.entries, 1);
			assert_int_equal(l.n, 1);
			assert_memory_equal(&l.v[0], &p, sizeof(p));
			assert_string_equal(members(&l), want);
		} else if (strchr(words[i], '-') == NULL) {
			assert_int_equal(l.entries, 0);
			assert_int_equal(l.refused, 1);
		}
		fw_feed_list_free(&l);
	}
}

static void
test_max_and_odd_bytes(void **state)
{
	static const char text[] = "192.0.2.1\n192.0.2.2\n\0zz\n192.0.2.3\n"
	    "::1-192.0.2.4\n192.0.2.5\n";
	struct fw_feed_list l;
	char longword[300];

	(void)state;
	parse(text, sizeof(text) - 1, 3, &l);
	assert_int_equal(l.entries, 3);
	assert_true(l.truncated);
	assert_int_equal(l.refused, 1);	/* the NUL line, before the max */
	assert_string_equal(members(&l), "192.0.2.1 192.0.2.2 192.0.2.3");
	fw_feed_list_free(&l);
	/* a word longer than any address: refused, not cut */
	memset(longword, '1', sizeof(longword));
	parse(longword, sizeof(longword), 10, &l);
	assert_int_equal(l.entries, 0);
	assert_int_equal(l.refused, 1);
	fw_feed_list_free(&l);
	/* nothing at all */
	parse("", 0, 10, &l);
	assert_int_equal(l.lines, 0);
	assert_int_equal(l.n, 0);
	fw_feed_list_free(&l);
}

/* the prefixes lo to hi make, as text */
static const char *
cover(const char *lo, const char *hi)
{
	struct fw_prefix a, b, p[FW_RANGE_PREFIXES_MAX];
	static char out[8192];
	size_t n, len = 0;

	assert_int_equal(fw_prefix_parse(lo, &a), 0);
	assert_int_equal(fw_prefix_parse(hi, &b), 0);
	n = fw_range_prefixes(&a, &b, p);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char s[64];

		fw_prefix_fmt(s, sizeof(s), &p[i]);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? " " : "", s);
	}
	return out;
}

static void
test_range_prefixes(void **state)
{
	(void)state;
	assert_string_equal(cover("10.0.0.0", "10.255.255.255"),
	    "10.0.0.0/8");
	assert_string_equal(cover("192.0.2.7", "192.0.2.7"), "192.0.2.7");
	assert_string_equal(cover("10.0.0.1", "10.0.0.6"),
	    "10.0.0.1 10.0.0.2/31 10.0.0.4/31 10.0.0.6");
	assert_string_equal(cover("0.0.0.0", "255.255.255.255"),
	    "0.0.0.0/0");
	assert_string_equal(cover("255.255.255.254", "255.255.255.255"),
	    "255.255.255.254/31");
	assert_string_equal(cover("::", "::3"), "::/126");
	assert_string_equal(cover("2001:db8::ffff", "2001:db8::1:0"),
	    "2001:db8::ffff 2001:db8::1:0");
}

/* format json, with paths (NULL-ended): its return */
static int
parse_json(const char *text, const char *const *paths, uint64_t max,
    struct fw_feed_list *l, char *err)
{
	char p[FW_FEED_JSON_PATHS][FW_FEED_JSON_PATH_MAX];
	size_t n = 0;

	for (; paths != NULL && paths[n] != NULL; n++)
		snprintf(p[n], sizeof(p[n]), "%s", paths[n]);
	err[0] = '\0';
	return fw_feed_parse_json(text, strlen(text), p, n, max, l, err, 300);
}

static void
test_json(void **state)
{
	/* AWS's ip-ranges.json, in short */
	static const char aws[] = "{\"syncToken\": \"1\", \"prefixes\": ["
	    "{\"ip_prefix\": \"3.5.140.0/22\", \"region\": \"ap\"},"
	    "{\"ip_prefix\": \"52.94.76.0/22\"},"
	    "{\"ip_prefix\": 7},"
	    "{\"ip_prefix\": \"10.0.0.1/8\"},"
	    "{\"service\": \"none\"}],"
	    "\"ipv6_prefixes\": [{\"ipv6_prefix\": \"2600:1f14::/35\"}]}";
	static const char *const both[] = { ".prefixes[].ip_prefix",
	    ".ipv6_prefixes[].ipv6_prefix", NULL };
	static const char *const leaf[] = { ".a.list", NULL };
	static const char *const values[] = { ".[]", NULL };
	static const char *const astray[] = { ".prefix[].ip_prefix", NULL };
	struct fw_feed_list l;
	char err[300];

	(void)state;
	assert_int_equal(parse_json(aws, both, 100, &l, err), 0);
	assert_string_equal(members(&l), "3.5.140.0/22 52.94.76.0/22 "
	    "2600:1f14::/35");
	assert_int_equal(l.lines, 5);	/* values reached */
	assert_int_equal(l.entries, 3);
	assert_int_equal(l.refused, 2);
	assert_string_equal(l.shown[0], "value 3: 'a number': not a string");
	assert_string_equal(l.shown[1], "value 4: '10.0.0.1/8': bits set "
	    "after the prefix length");
	fw_feed_list_free(&l);
	/* max entries across paths */
	assert_int_equal(parse_json(aws, both, 2, &l, err), 0);
	assert_int_equal(l.entries, 2);
	assert_true(l.truncated);
	fw_feed_list_free(&l);
	/* no path: the top array's strings; a path that ends on an array
	 * takes its elements; [] takes an object's values */
	assert_int_equal(parse_json("[\"192.0.2.1\", \"192.0.2.0-192.0.2.3\"]",
	    NULL, 10, &l, err), 0);
	assert_string_equal(members(&l), "192.0.2.1 192.0.2.0/30");
	fw_feed_list_free(&l);
	assert_int_equal(parse_json("{\"a\": {\"list\": [\"192.0.2.9\", "
	    "null]}}", leaf, 10, &l, err), 0);
	assert_string_equal(members(&l), "192.0.2.9");
	assert_string_equal(l.shown[0], "value 2: 'null': not a string");
	fw_feed_list_free(&l);
	assert_int_equal(parse_json("{\"x\": \"192.0.2.1\", \"y\": "
	    "\"2001:db8::1\"}", values, 10, &l, err), 0);
	assert_string_equal(members(&l), "192.0.2.1 2001:db8::1");
	fw_feed_list_free(&l);
	/* an empty feed is one; a feed whose shape changed is an error */
	assert_int_equal(parse_json("{\"prefixes\": [], \"ipv6_prefixes\": "
	    "{}}", both, 10, &l, err), 0);
	assert_int_equal(l.n, 0);
	fw_feed_list_free(&l);
	assert_int_equal(parse_json(aws, astray, 10, &l, err), -2);
	assert_non_null(strstr(err, "lead to no value"));
	assert_int_equal(l.n, 0);
	assert_int_equal(parse_json("[\"192.0.2.1\",]", NULL, 10, &l, err),
	    -2);
	assert_non_null(strstr(err, "not JSON: at byte"));
}

static void
test_json_paths(void **state)
{
	static const char *const good[] = { ".", ".[]", ".a", ".a.b",
	    ".a[]", ".a[].b", ".a[][]", ".[].x", ".with-dash_and$" };
	static const char *const bad[] = { "", "a", "..", ".a.", ".a[",
	    ".a[x]", ".a]", "[]", ".a..b" };
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(fw_feed_json_path_check(good[i], &why), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(fw_feed_json_path_check(bad[i], &why), -1);
		assert_non_null(why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_plain_v4),
		cmocka_unit_test(test_max_and_odd_bytes),
		cmocka_unit_test(test_range_prefixes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
