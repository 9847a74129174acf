/*
 * tests/unit/lb/test_balance_key.c - lb/balance_key.c.
 *
 * Every case runs twice: with the url alone in a heap block of exactly
 * its length (a sanitizer or valgrind sees any read past it), and with
 * the url followed by bytes that would change the answer if read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balance.h"

/* What must never be read: it would add segments, values and names. */
static const char garbage[] = "/x/y=9&id=7&uid=8?q=1#f";

/* url copied to a fresh block, followed by tail when tail is not NULL. */
static char *
place(const char *url, const char *tail)
{
	size_t len = strlen(url), tlen = tail != NULL ? strlen(tail) : 0;
	char *buf = malloc(len + tlen > 0 ? len + tlen : 1);

	assert_non_null(buf);
	memcpy(buf, url, len);
	memcpy(buf + len, tail != NULL ? tail : "", tlen);
	return buf;
}

/* A span must lie inside [url, url + urllen) and read as want. */
static void
check_span(const char *url, size_t urllen, int got, const char *key,
    size_t len, const char *want)
{
	if (want == NULL) {
		assert_int_equal(got, 0);
		return;
	}
	assert_int_equal(got, 1);
	assert_true(key >= url && key + len <= url + urllen);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(key, want, len);
}

static void
check_uri_in(const char *url, const char *tail, unsigned length,
    unsigned depth, const char *want)
{
	char *buf = place(url, tail);
	const char *key = NULL;
	size_t len = 0, urllen = strlen(url);
	int got = lb_key_uri(buf, urllen, length, depth, &key, &len);

	check_span(buf, urllen, got, key, len, want);
	free(buf);
}

/* The key of url for length and depth is want (NULL: none). */
static void
check_uri(const char *url, unsigned length, unsigned depth,
    const char *want)
{
	check_uri_in(url, NULL, length, depth, want);
	check_uri_in(url, garbage, length, depth, want);
}

static void
check_param_in(const char *url, const char *tail, const char *name,
    const char *want)
{
	char *buf = place(url, tail);
	const char *key = NULL;
	size_t len = 0, urllen = strlen(url);
	int got = lb_key_url_param(buf, urllen, name, &key, &len);

	check_span(buf, urllen, got, key, len, want);
	free(buf);
}

/* The value of name in url is want (NULL: none). */
static void
check_param(const char *url, const char *name, const char *want)
{
	check_param_in(url, NULL, name, want);
	check_param_in(url, garbage, name, want);
}

static void
test_uri_path(void **unused)
{
	(void)unused;
	check_uri("/a/b/c?x=1", 0, 0, "/a/b/c");
	check_uri("/a/b/c", 0, 0, "/a/b/c");
	check_uri("/a/b/c#top", 0, 0, "/a/b/c");
	check_uri("/a?b?c", 0, 0, "/a");
	check_uri("/", 0, 0, "/");
	check_uri("*", 0, 0, "*");
}

/* Nothing to hash: the caller falls back to round-robin. */
static void
test_uri_empty(void **unused)
{
	const char *key = NULL;
	size_t len = 0;

	(void)unused;
	check_uri("", 0, 0, NULL);
	check_uri("?x=1", 0, 0, NULL);
	check_uri("#x", 3, 2, NULL);
	assert_int_equal(lb_key_uri(NULL, 5, 0, 0, &key, &len), 0);
}

static void
test_uri_length(void **unused)
{
	(void)unused;
	check_uri("/abcdef?x=1", 4, 0, "/abc");
	check_uri("/abcdef?x=1", 7, 0, "/abcdef");
	check_uri("/abcdef?x=1", 8, 0, "/abcdef");
	check_uri("/abcdef?x=1", 1000, 0, "/abcdef");
	check_uri("/abcdef", 1, 0, "/");
}

static void
test_uri_depth(void **unused)
{
	(void)unused;
	check_uri("/a/b/c?x", 0, 2, "/a/b");
	check_uri("/a/b/c?x", 0, 1, "/a");
	check_uri("/a/b/c?x", 0, 3, "/a/b/c");
	check_uri("/a/b/c?x", 0, 9, "/a/b/c");
	check_uri("/a/b/", 0, 2, "/a/b");
	check_uri("/a/b/", 0, 3, "/a/b/");
	check_uri("/a//b", 0, 2, "/a/");	/* an empty segment counts */
	check_uri("/", 0, 1, "/");
	check_uri("a/b/c", 0, 2, "a/b");	/* no leading '/' */
	check_uri("/a/b?x=/c/d", 0, 3, "/a/b");	/* '/' in the query */
}

static void
test_uri_depth_then_length(void **unused)
{
	(void)unused;
	check_uri("/abc/def/ghi?x", 5, 2, "/abc/");
	check_uri("/abc/def/ghi?x", 10, 1, "/abc");
	check_uri("/abc/def/ghi?x", 10, 2, "/abc/def");
	check_uri("/abc/def/ghi?x", 100, 5, "/abc/def/ghi");
}

/* A url cut short of what follows it in memory. */
static void
test_uri_bounds(void **unused)
{
	(void)unused;
	check_uri_in("/a/b", "/c/d?x", 0, 3, "/a/b");
	check_uri_in("/a/b", "cdef", 10, 0, "/a/b");
	check_uri_in("/a", "?", 0, 0, "/a");
}

static void
test_param_found(void **unused)
{
	(void)unused;
	check_param("/p?id=4", "id", "4");
	check_param("/p?a=1&id=42&b=2", "id", "42");
	check_param("/p?a=1&id=42", "id", "42");
	check_param("/p?id=a=b", "id", "a=b");
	check_param("/p?&&id=7&", "id", "7");
	check_param("/p?id=4#frag", "id", "4");
	check_param("/p?x=/a?b&id=%20", "id", "%20");
}

static void
test_param_first(void **unused)
{
	(void)unused;
	check_param("/p?id=4&id=5", "id", "4");
	check_param("/p?id&id=5", "id", "5");	/* bare "id": no value */
}

/* A name that ends or starts another name is not that name. */
static void
test_param_prefix(void **unused)
{
	(void)unused;
	check_param("/p?uid=3&id=4", "id", "4");
	check_param("/p?idx=3&id=4", "id", "4");
	check_param("/p?uid=3", "id", NULL);
	check_param("/p?idx=3", "id", NULL);
	check_param("/p?i=3", "id", NULL);
	check_param("/p?ID=3", "id", NULL);	/* case counts */
}

static void
test_param_absent(void **unused)
{
	const char *key = NULL;
	size_t len = 0;

	(void)unused;
	check_param("/p?a=1&b=2", "id", NULL);
	check_param("/p?id", "id", NULL);
	check_param("/p", "id", NULL);
	check_param("/p?", "id", NULL);
	check_param("", "id", NULL);
	check_param("/p/id=4", "id", NULL);
	check_param("/p#?id=4", "id", NULL);	/* in the fragment */
	check_param("/p?a=1#&id=4", "id", NULL);
	check_param("/p?id=4", "", NULL);
	assert_int_equal(lb_key_url_param(NULL, 3, "id", &key, &len), 0);
	assert_int_equal(lb_key_url_param("/p?id=4", 7, NULL, &key, &len),
	    0);
}

/* Empty, so the caller falls back to round-robin. */
static void
test_param_empty(void **unused)
{
	(void)unused;
	check_param("/p?id=", "id", NULL);
	check_param("/p?id=&b=2", "id", NULL);
	check_param("/p?id=&id=5", "id", NULL);	/* the first decides */
	check_param("/p?id=#x", "id", NULL);
}

/* A url cut short of what follows it in memory. */
static void
test_param_bounds(void **unused)
{
	(void)unused;
	check_param_in("/p?id=12", "345&x=1", "id", "12");
	check_param_in("/p?i", "d=9", "id", NULL);
	check_param_in("/p?id", "=9", "id", NULL);
	check_param_in("/p?id=", "9", "id", NULL);
	check_param_in("/p", "?id=9", "id", NULL);
	check_param_in("/p?uid=1", "&id=9", "id", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_path),
		cmocka_unit_test(test_uri_empty),
		cmocka_unit_test(test_uri_length),
		cmocka_unit_test(test_uri_depth),
		cmocka_unit_test(test_uri_depth_then_length),
		cmocka_unit_test(test_uri_bounds),
		cmocka_unit_test(test_param_found),
		cmocka_unit_test(test_param_first),
		cmocka_unit_test(test_param_prefix),
		cmocka_unit_test(test_param_absent),
		cmocka_unit_test(test_param_empty),
		cmocka_unit_test(test_param_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
