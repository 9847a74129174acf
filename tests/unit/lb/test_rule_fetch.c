/*
 * tests/unit/lb/test_rule_fetch.c - lb/rule_fetch.c (with
 * lb/balance_key.c, whose path it shares).
 *
 * Each head is copied to a heap block of exactly its length, so that a
 * sanitizer sees any read past it, and every span a fetch returns must
 * lie inside that block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_fetch.h"

static struct lb_head_index ix;
static char *head;
static size_t head_len;

static void
place(const char *text)
{
	free(head);
	head_len = strlen(text);
	head = malloc(head_len);
	assert_non_null(head);
	memcpy(head, text, head_len);
}

static int
req(const char *text)
{
	place(text);
	return lb_head_index(&ix, head, head_len);
}

static int
rsp(const char *text)
{
	place(text);
	return lb_head_index_response(&ix, head, head_len);
}

static int
teardown(void **state)
{
	(void)state;
	free(head);
	head = NULL;
	return 0;
}

/* got/p/len read as want (NULL: not found), inside the head. */
static void
expect(bool got, const char *p, size_t len, const char *want)
{
	if (want == NULL) {
		assert_false(got);
		return;
	}
	assert_true(got);
	assert_true(p >= head && p + len <= head + head_len);
	if (len != strlen(want) || memcmp(p, want, len) != 0)
		fail_msg("got \"%.*s\", want \"%s\"", (int)len, p, want);
}

#define FETCH(fn, want) do {						\
	const char *p_ = NULL;						\
	size_t l_ = 0;							\
	bool g_ = fn(&ix, &p_, &l_);					\
	expect(g_, p_, l_, (want));					\
} while (0)

#define HDR(name, occ, want) do {					\
	const char *p_ = NULL;						\
	size_t l_ = 0;							\
	bool g_ = lb_fetch_hdr(&ix, (name), strlen(name), (occ), &p_,	\
	    &l_);							\
	expect(g_, p_, l_, (want));					\
} while (0)

#define FHDR(name, occ, want) do {					\
	const char *p_ = NULL;						\
	size_t l_ = 0;							\
	bool g_ = lb_fetch_fhdr(&ix, (name), strlen(name), (occ), &p_,	\
	    &l_);							\
	expect(g_, p_, l_, (want));					\
} while (0)

#define COOK(name, occ, want) do {					\
	const char *p_ = NULL;						\
	size_t l_ = 0;							\
	bool g_ = lb_fetch_cook(&ix, (name), strlen(name), (occ), &p_,	\
	    &l_);							\
	expect(g_, p_, l_, (want));					\
} while (0)

#define PARAM(name, icase, want) do {					\
	const char *p_ = NULL;						\
	size_t l_ = 0;							\
	bool g_ = lb_fetch_url_param(&ix, (name), strlen(name),	\
	    (icase), &p_, &l_);						\
	expect(g_, p_, l_, (want));					\
} while (0)

static void
request_line(void **state)
{
	unsigned st = 7;

	(void)state;
	assert_int_equal(req("GET /api/v1/x?a=1&b=2 HTTP/1.1\r\n"
	    "Host: example.com\r\n\r\n"), 0);
	FETCH(lb_fetch_method, "GET");
	FETCH(lb_fetch_url, "/api/v1/x?a=1&b=2");
	FETCH(lb_fetch_path, "/api/v1/x");
	FETCH(lb_fetch_query, "a=1&b=2");
	FETCH(lb_fetch_req_ver, "1.1");
	assert_false(lb_fetch_status(&ix, &st));
	assert_int_equal(st, 7);
	assert_int_equal(ix.nfields, 1);
}

static void
targets(void **state)
{
	(void)state;
	/* absolute-form: path without scheme and authority */
	assert_int_equal(req("GET http://h.example:8080/p/q?x=1 HTTP/1.1\r\n"
	    "Host: h.example:8080\r\n\r\n"), 0);
	FETCH(lb_fetch_url, "http://h.example:8080/p/q?x=1");
	FETCH(lb_fetch_path, "/p/q");
	FETCH(lb_fetch_query, "x=1");
	/* absolute-form without a path */
	assert_int_equal(req("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	FETCH(lb_fetch_path, NULL);
	FETCH(lb_fetch_query, NULL);
	assert_int_equal(req("GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	FETCH(lb_fetch_path, NULL);
	FETCH(lb_fetch_query, "q");
	/* no query, empty query */
	assert_int_equal(req("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	FETCH(lb_fetch_path, "/a");
	FETCH(lb_fetch_query, NULL);
	assert_int_equal(req("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	FETCH(lb_fetch_path, "/a");
	FETCH(lb_fetch_query, "");
	/* a fragment ends path and query (CVE-2023-45539's path_end) */
	assert_int_equal(req("GET /admin#.css HTTP/1.1\r\nHost: h\r\n\r\n"),
	    0);
	FETCH(lb_fetch_path, "/admin");
	assert_int_equal(req("GET /a?b=1#c?d HTTP/1.1\r\nHost: h\r\n\r\n"),
	    0);
	FETCH(lb_fetch_query, "b=1");
	/* "://" in an origin-form query is no scheme */
	assert_int_equal(req("GET /r?u=http://x/y HTTP/1.1\r\nHost: h\r\n\r\n"),
	    0);
	FETCH(lb_fetch_path, "/r");
	/* asterisk and authority forms have no path */
	assert_int_equal(req("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	FETCH(lb_fetch_url, "*");
	FETCH(lb_fetch_path, NULL);
	assert_int_equal(req("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"),
	    0);
	FETCH(lb_fetch_method, "CONNECT");
	FETCH(lb_fetch_path, NULL);
	/* HTTP/1.0 */
	assert_int_equal(req("HEAD / HTTP/1.0\r\n\r\n"), 0);
	FETCH(lb_fetch_req_ver, "1.0");
	assert_int_equal(ix.nfields, 0);
}

static void
url_param(void **state)
{
	(void)state;
	assert_int_equal(req("GET /p?a=1&id=42;sid=x&e=&bare&ID=9&id=7 "
	    "HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	PARAM("a", false, "1");
	PARAM("id", false, "42");	/* the first */
	PARAM("sid", false, "x");	/* after ';' */
	PARAM("e", false, "");		/* present, empty */
	PARAM("bare", false, NULL);	/* no '=' */
	PARAM("i", false, NULL);	/* a prefix is no match */
	PARAM("d", false, NULL);
	PARAM("ID", false, "9");
	PARAM("ID", true, "42");
	PARAM("", false, "1");		/* no name: the first */
	/* only the query counts */
	assert_int_equal(req("GET /id=3/x HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	PARAM("id", false, NULL);
	assert_int_equal(req("GET /x?id=3#id=4 HTTP/1.1\r\nHost: h\r\n\r\n"),
	    0);
	PARAM("id", false, "3");
	assert_int_equal(req("GET /x?a=1#&id=4 HTTP/1.1\r\nHost: h\r\n\r\n"),
	    0);
	PARAM("id", false, NULL);
}

static void
headers(void **state)
{
	(void)state;
	assert_int_equal(req("GET / HTTP/1.1\r\n"
	    "Host:  example.com \r\n"
	    "X-Forwarded-For: 10.0.0.1, 10.0.0.2,10.0.0.3\r\n"
	    "Accept: text/html\r\n"
	    "x-forwarded-for:\t10.0.0.4\t\r\n"
	    "X-Empty:\r\n"
	    "X-Commas: a,,b,\r\n"
	    "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n"
	    "X-Q: \"a,b\", c\r\n"
	    "\r\n"), 0);
	HDR("host", 1, "example.com");
	HDR("HOST", -1, "example.com");
	HDR("host", 2, NULL);
	HDR("host", 0, NULL);
	HDR("host", -2, NULL);
	HDR("x-forwarded-for", 1, "10.0.0.1");
	HDR("X-FORWARDED-FOR", 2, "10.0.0.2");
	HDR("x-forwarded-for", 3, "10.0.0.3");
	HDR("x-forwarded-for", 4, "10.0.0.4");	/* repeated field */
	HDR("x-forwarded-for", -1, "10.0.0.4");
	HDR("x-forwarded-for", -4, "10.0.0.1");
	HDR("x-forwarded-for", -5, NULL);
	HDR("x-forwarded-for", 5, NULL);
	HDR("x-forwarded", 1, NULL);
	HDR("x-empty", 1, "");
	HDR("x-commas", 2, "");
	HDR("x-commas", -1, "");
	HDR("x-commas", 3, "b");
	HDR("date", 1, "Tue");			/* HAProxy splits dates */
	HDR("x-q", 1, "\"a");			/* and quoted strings */
	FHDR("date", 1, "Tue, 15 Nov 1994 08:12:31 GMT");
	FHDR("x-forwarded-for", 1, "10.0.0.1, 10.0.0.2,10.0.0.3");
	FHDR("x-forwarded-for", -1, "10.0.0.4");
	FHDR("x-forwarded-for", 3, NULL);
	FHDR("missing", 1, NULL);
	assert_int_equal(lb_fetch_hdr_cnt(&ix, "X-Forwarded-For", 15), 4);
	assert_int_equal(lb_fetch_fhdr_cnt(&ix, "x-forwarded-for", 15), 2);
	assert_int_equal(lb_fetch_hdr_cnt(&ix, "x-commas", 8), 4);
	assert_int_equal(lb_fetch_hdr_cnt(&ix, "x-empty", 7), 1);
	assert_int_equal(lb_fetch_hdr_cnt(&ix, "nope", 4), 0);
	assert_int_equal(lb_fetch_fhdr_cnt(&ix, "", 0), 8);
	assert_int_equal(lb_fetch_hdr_cnt(&ix, "", 0), 16);
}

static void
iterate(void **state)
{
	static const char *const want[] = { "10.0.0.1", "10.0.0.2", "b",
	    "10.0.0.4" };
	struct lb_fetch_iter it, copy;
	const char *p;
	size_t len, n = 0;

	(void)state;
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: h\r\n"
	    "XFF: 10.0.0.1 , 10.0.0.2\r\nOther: b\r\nxff: b\r\n"
	    "XFF: 10.0.0.4\r\n\r\n"), 0);
	lb_fetch_iter_hdr(&it, &ix, "xff", 3);
	while (lb_fetch_next(&it, &p, &len)) {
		assert_true(n < 4);
		expect(true, p, len, want[n]);
		if (++n == 2)
			copy = it;
	}
	assert_int_equal(n, 4);
	assert_false(lb_fetch_next(&it, &p, &len));
	/* a copy goes on from where it was taken */
	assert_true(lb_fetch_next(&copy, &p, &len));
	expect(true, p, len, "b");
	assert_true(lb_fetch_occ(&copy, -1, &p, &len));
	expect(true, p, len, "10.0.0.4");
	lb_fetch_iter_init(&it, &ix, LB_FETCH_WHOLE, "xff", 3);
	assert_true(lb_fetch_occ(&it, 1, &p, &len));
	expect(true, p, len, "10.0.0.1 , 10.0.0.2");
}

static void
cookies(void **state)
{
	struct lb_fetch_iter it;
	const char *p;
	size_t len;
	unsigned n = 0;

	(void)state;
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: SESSION=abc; lang=en;theme=dark\r\n"
	    "X-Cookie: SESSION=no\r\n"
	    "cookie:  a=1 ; SESSION = def ;flag; e=; session=low\r\n"
	    "Cookie: old=1, SESSION=ghi\r\n"
	    "\r\n"), 0);
	COOK("SESSION", 1, "abc");
	COOK("SESSION", 2, "def");	/* spaces around '=' trimmed */
	COOK("SESSION", 3, "ghi");	/* ',' delimits too */
	COOK("SESSION", -1, "ghi");	/* HAProxy's cook() in a sample */
	COOK("SESSION", 4, NULL);
	COOK("session", 1, "low");	/* names keep their case */
	COOK("lang", 1, "en");
	COOK("theme", 1, "dark");
	COOK("a", 1, "1");
	COOK("e", 1, "");
	COOK("flag", 1, NULL);		/* no '=' */
	COOK("old", 1, "1");
	COOK("", 1, "abc");		/* no name: the first cookie */
	lb_fetch_iter_cook(&it, &ix, "SESSION", 7);
	while (lb_fetch_next(&it, &p, &len))
		n++;
	assert_int_equal(n, 3);
	/* no Cookie field at all */
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	COOK("SESSION", 1, NULL);
	COOK("SESSION", -1, NULL);
}

/* A head: start, then n field lines (start holds the first); the
 * last is "X-Last: yes". */
static void
build_fields(char *buf, size_t size, const char *start, unsigned n)
{
	size_t off = (size_t)snprintf(buf, size, "%s", start);

	for (unsigned i = 1; i + 1 < n; i++)
		off += (size_t)snprintf(buf + off, size - off,
		    "X-F%u: %u\r\n", i, i);
	snprintf(buf + off, size - off, "X-Last: yes\r\n\r\n");
}

/* The limit is LB_FETCH_MAX_FIELDS field lines; one more and the head
 * is refused, not cut short, so a rule cannot miss the field past it. */
static void
field_limit(void **state)
{
	static const char req_start[] = "GET / HTTP/1.1\r\nHost: h\r\n";
	static const char rsp_start[] = "HTTP/1.1 200 OK\r\nServer: s\r\n";
	static char buf[8192];

	(void)state;
	build_fields(buf, sizeof(buf), req_start, LB_FETCH_MAX_FIELDS);
	assert_int_equal(req(buf), 0);
	assert_int_equal(ix.nfields, LB_FETCH_MAX_FIELDS);
	HDR("x-last", 1, "yes");
	HDR("x-f98", 1, "98");
	assert_int_equal(lb_fetch_fhdr_cnt(&ix, "", 0), LB_FETCH_MAX_FIELDS);
	build_fields(buf, sizeof(buf), req_start, LB_FETCH_MAX_FIELDS + 1);
	assert_int_equal(req(buf), -431);
	build_fields(buf, sizeof(buf), rsp_start, LB_FETCH_MAX_FIELDS);
	assert_int_equal(rsp(buf), 0);
	HDR("x-last", -1, "yes");
	build_fields(buf, sizeof(buf), rsp_start, LB_FETCH_MAX_FIELDS + 1);
	assert_int_equal(rsp(buf), -502);
}

static void
malformed(void **state)
{
	(void)state;
	assert_int_equal(req(""), -400);
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: h\r\n"), -400);
	assert_int_equal(req("GET / HTTP/1.1\nHost: h\n\n"), -400);
	assert_int_equal(req("GET /\r\n\r\n"), -400);
	assert_int_equal(req("GET  / HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(req("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), -400);
	assert_int_equal(req("GET / HTTP/1.1\r\n: v\r\n\r\n"), -400);
	assert_int_equal(req("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"),
	    -400);
	/* what follows the empty line is not the head's */
	assert_int_equal(req("GET / HTTP/1.1\r\nA: 1\r\n\r\nB: 2\r\n\r\n"), 0);
	assert_int_equal(ix.nfields, 1);
	assert_int_equal(rsp("HTTP/1.1 20 OK\r\n\r\n"), -502);
	assert_int_equal(rsp("HTTP/1.1 200OK\r\n\r\n"), -502);
	assert_int_equal(rsp("GET / HTTP/1.1\r\n\r\n"), -502);
}

static void
response(void **state)
{
	unsigned st = 0;

	(void)state;
	assert_int_equal(rsp("HTTP/1.1 404 Not Found\r\n"
	    "Server: nginx\r\nCache-Control: no-cache, no-store\r\n"
	    "Set-Cookie: a=1; Path=/\r\n\r\n"), 0);
	assert_true(lb_fetch_status(&ix, &st));
	assert_int_equal(st, 404);
	HDR("server", 1, "nginx");
	HDR("cache-control", -1, "no-store");
	assert_int_equal(lb_fetch_hdr_cnt(&ix, "cache-control", 13), 2);
	FETCH(lb_fetch_method, NULL);
	FETCH(lb_fetch_url, NULL);
	FETCH(lb_fetch_path, NULL);
	FETCH(lb_fetch_query, NULL);
	FETCH(lb_fetch_req_ver, NULL);
	/* cook() reads Cookie, not Set-Cookie */
	COOK("a", 1, NULL);
	assert_int_equal(rsp("HTTP/1.0 204\r\n\r\n"), 0);
	assert_true(lb_fetch_status(&ix, &st));
	assert_int_equal(st, 204);
	assert_int_equal(ix.reason.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(request_line, teardown),
		cmocka_unit_test_teardown(targets, teardown),
		cmocka_unit_test_teardown(url_param, teardown),
		cmocka_unit_test_teardown(headers, teardown),
		cmocka_unit_test_teardown(iterate, teardown),
		cmocka_unit_test_teardown(cookies, teardown),
		cmocka_unit_test_teardown(field_limit, teardown),
		cmocka_unit_test_teardown(malformed, teardown),
		cmocka_unit_test_teardown(response, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
