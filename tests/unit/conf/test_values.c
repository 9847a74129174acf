/*
 * tests/unit/conf/test_values.c - the value getters, their error messages,
 * "did you mean", and the normal forms that read back as the same value.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"

#define NWANT(a)	(sizeof(a) / sizeof((a)[0]))

/* One statement, parsed from text, and the errors the test makes. */
struct fx {
	struct conf_tree *t;
	struct conf_diag d;
	const struct conf_node *n;
};

static const struct conf_node *
stmt(struct fx *f, const char *text)
{
	conf_diag_init(&f->d);
	f->t = conf_parse_string("t.conf", text, strlen(text), NULL,
	    &f->d);
	assert_non_null(f->t);
	assert_int_equal(f->d.nerrors, 0);
	assert_int_equal(f->t->root.nchildren, 1);
	return f->n = &f->t->root.children[0];
}

static void
fx_free(struct fx *f)
{
	conf_tree_free(&f->t);
	conf_diag_free(&f->d);
}

/* Exactly one error, msg, was added; then frees f. */
static void
expect_error(struct fx *f, const char *msg)
{
	if (f->d.nerrors != 1 || f->d.nmsgs != 1 ||
	    strcmp(f->d.msgs[0], msg) != 0) {
		conf_diag_print(&f->d, stderr);
		fail_msg("want exactly: %s", msg);
	}
	fx_free(f);
}

/* ---- numbers ---- */

static int
get_uint(const char *text, uint64_t min, uint64_t max, uint64_t *v,
    struct fx *f)
{
	stmt(f, text);
	return conf_get_uint(&f->d, f->n, 1, min, max, v);
}

static void
uint_ok(const char *text, uint64_t min, uint64_t max, uint64_t want)
{
	struct fx f;
	uint64_t v = 12345;

	assert_int_equal(get_uint(text, min, max, &v, &f), 0);
	assert_int_equal(v, want);
	assert_int_equal(f.d.nerrors, 0);
	fx_free(&f);
}

static void
uint_bad(const char *text, uint64_t min, uint64_t max, const char *msg)
{
	struct fx f;
	uint64_t v = 12345;

	assert_int_equal(get_uint(text, min, max, &v, &f), -1);
	assert_int_equal(v, 12345);
	expect_error(&f, msg);
}

static void
test_uint(void **state)
{
	struct fx f;
	uint64_t v;

	(void)state;
	uint_ok("workers 0", 0, 256, 0);
	uint_ok("workers 007", 0, 256, 7);
	uint_ok("workers 256", 1, 256, 256);
	uint_ok("n 18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	uint_bad("workers 300", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got '300'");
	uint_bad("workers 0", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got '0'");
	uint_bad("workers   -1", 1, 256, "t.conf:1:11: error: 'workers' "
	    "expects a number from 1 to 256, got '-1'");
	uint_bad("workers +1", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got '+1'");
	uint_bad("workers 1.5", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got '1.5'");
	uint_bad("workers 4k", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got '4k'");
	uint_bad("workers 0x10", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got '0x10'");
	uint_bad("workers \"\"", 1, 256, "t.conf:1:9: error: 'workers' "
	    "expects a number from 1 to 256, got ''");
	uint_bad("n 18446744073709551616", 1, UINT64_MAX, "t.conf:1:3: "
	    "error: 'n' expects a number of at least 1, got "
	    "'18446744073709551616'");
	uint_bad("n x", 0, UINT64_MAX, "t.conf:1:3: error: 'n' expects a "
	    "number, got 'x'");

	/* A setter reading past the words gets an error, not a crash. */
	stmt(&f, "workers");
	assert_int_equal(conf_get_uint(&f.d, f.n, 1, 0, 1, &v), -1);
	expect_error(&f, "t.conf:1:1: error: 'workers' is missing its "
	    "argument 1");
}

/* ---- durations ---- */

static void
duration_ok(const char *word, uint64_t want)
{
	char text[64];
	struct fx f;
	uint64_t v = 12345;

	snprintf(text, sizeof(text), "timeout connect %s", word);
	stmt(&f, text);
	assert_int_equal(conf_get_duration(&f.d, f.n, 2, 0, UINT64_MAX, &v),
	    0);
	assert_int_equal(v, want);
	fx_free(&f);
}

static void
duration_bad(const char *word, uint64_t min, uint64_t max, const char *msg)
{
	char text[64];
	struct fx f;
	uint64_t v = 12345;

	snprintf(text, sizeof(text), "timeout connect %s", word);
	stmt(&f, text);
	assert_int_equal(conf_get_duration(&f.d, f.n, 2, min, max, &v), -1);
	assert_int_equal(v, 12345);
	expect_error(&f, msg);
}

#define DUR_BAD(w)	"t.conf:1:17: error: bad duration '" w "' for " \
			"'timeout': expected a duration such as 250ms, 5s, " \
			"2m, 1h"

static void
test_duration(void **state)
{
	(void)state;
	duration_ok("250ms", 250);
	duration_ok("5s", 5000);
	duration_ok("2m", 120000);
	duration_ok("1h", 3600000);
	duration_ok("1d", 86400000);
	duration_ok("0ms", 0);
	duration_ok("90s", 90000);
	duration_ok("5S", 5000);
	duration_ok("213503982334d", UINT64_C(213503982334) * 86400000);

	duration_bad("30", 0, UINT64_MAX, "t.conf:1:17: error: bad duration "
	    "'30' for 'timeout': missing unit; expected a duration such as "
	    "250ms, 5s, 2m, 1h");
	duration_bad("5x", 0, UINT64_MAX, DUR_BAD("5x"));
	duration_bad("ms", 0, UINT64_MAX, DUR_BAD("ms"));
	duration_bad("1.5s", 0, UINT64_MAX, DUR_BAD("1.5s"));
	duration_bad("-1s", 0, UINT64_MAX, DUR_BAD("-1s"));
	duration_bad("5sec", 0, UINT64_MAX, DUR_BAD("5sec"));
	duration_bad("1m30s", 0, UINT64_MAX, DUR_BAD("1m30s"));
	duration_bad("213503982335d", 0, UINT64_MAX, "t.conf:1:17: error: "
	    "bad duration '213503982335d' for 'timeout': too large");
	duration_bad("99999999999999999999ms", 0, UINT64_MAX, "t.conf:1:17: "
	    "error: bad duration '99999999999999999999ms' for 'timeout': "
	    "too large");
	duration_bad("2d", 1, 86400000, "t.conf:1:17: error: 'timeout' "
	    "expects a duration from 1ms to 1d, got '2d'");
	duration_bad("0s", 1, 86400000, "t.conf:1:17: error: 'timeout' "
	    "expects a duration from 1ms to 1d, got '0s'");
	duration_bad("91000ms", 1000, 90000, "t.conf:1:17: error: 'timeout' "
	    "expects a duration from 1s to 90s, got '91000ms'");
	duration_bad("500ms", 1000, UINT64_MAX, "t.conf:1:17: error: "
	    "'timeout' expects a duration of at least 1s, got '500ms'");
}

/* ---- sizes ---- */

static void
size_ok(const char *word, uint64_t want)
{
	char text[64];
	struct fx f;
	uint64_t v = 12345;

	snprintf(text, sizeof(text), "buffer %s", word);
	stmt(&f, text);
	assert_int_equal(conf_get_size(&f.d, f.n, 1, 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, want);
	fx_free(&f);
}

static void
size_bad(const char *word, uint64_t min, uint64_t max, const char *msg)
{
	char text[64];
	struct fx f;
	uint64_t v = 12345;

	snprintf(text, sizeof(text), "buffer %s", word);
	stmt(&f, text);
	assert_int_equal(conf_get_size(&f.d, f.n, 1, min, max, &v), -1);
	assert_int_equal(v, 12345);
	expect_error(&f, msg);
}

#define SIZE_BAD(w)	"t.conf:1:8: error: bad size '" w "' for " \
			"'buffer': expected a size such as 512, 16k, 1m, 2g"

static void
test_size(void **state)
{
	(void)state;
	size_ok("512", 512);
	size_ok("0", 0);
	size_ok("16k", 16384);
	size_ok("16K", 16384);
	size_ok("1m", 1048576);
	size_ok("1M", 1048576);
	size_ok("2g", UINT64_C(2147483648));
	size_ok("2G", UINT64_C(2147483648));
	size_ok("17179869183g", UINT64_C(17179869183) << 30);

	size_bad("1kb", 0, UINT64_MAX, SIZE_BAD("1kb"));
	size_bad("k", 0, UINT64_MAX, SIZE_BAD("k"));
	size_bad("1.5k", 0, UINT64_MAX, SIZE_BAD("1.5k"));
	size_bad("-1", 0, UINT64_MAX, SIZE_BAD("-1"));
	size_bad("1t", 0, UINT64_MAX, SIZE_BAD("1t"));
	size_bad("17179869184g", 0, UINT64_MAX, "t.conf:1:8: error: bad "
	    "size '17179869184g' for 'buffer': too large");
	size_bad("2m", 1024, 1048576, "t.conf:1:8: error: 'buffer' expects "
	    "a size from 1k to 1m, got '2m'");
	size_bad("1000", 1024, 1048576, "t.conf:1:8: error: 'buffer' "
	    "expects a size from 1k to 1m, got '1000'");
	size_bad("1", 1000, 1536, "t.conf:1:8: error: 'buffer' expects a "
	    "size from 1000 to 1536, got '1'");
}

/* ---- names and keywords ---- */

static void
name_bad(const char *text, const char *msg)
{
	char out[64] = "untouched";
	struct fx f;

	stmt(&f, text);
	assert_int_equal(conf_get_name(&f.d, f.n, 1, out, sizeof(out)), -1);
	assert_string_equal(out, "untouched");
	expect_error(&f, msg);
}

/* 62 characters */
#define NAME_62	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static void
test_name(void **state)
{
	char out[64];
	struct fx f;

	(void)state;
	stmt(&f, "pool web-1.a_B");
	assert_int_equal(conf_get_name(&f.d, f.n, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "web-1.a_B");
	fx_free(&f);
	stmt(&f, "pool 0" NAME_62);
	assert_int_equal(strlen(f.n->args[1]), 63);
	assert_int_equal(conf_get_name(&f.d, f.n, 1, out, sizeof(out)), 0);
	fx_free(&f);

	name_bad("pool x0" NAME_62, "t.conf:1:6: error: bad name 'x0" NAME_62
	    "' for 'pool': expected 1 to 63 characters");
	name_bad("pool \"\"", "t.conf:1:6: error: bad name '' for 'pool': "
	    "expected 1 to 63 characters");
	name_bad("pool -web", "t.conf:1:6: error: bad name '-web' for "
	    "'pool': must start with a letter or digit");
	name_bad("pool _web", "t.conf:1:6: error: bad name '_web' for "
	    "'pool': must start with a letter or digit");
	name_bad("pool \"a b\"", "t.conf:1:6: error: bad name 'a b' for "
	    "'pool': ' ' is not allowed; use letters, digits, '_', '.' and "
	    "'-'");
	name_bad("pool a/b", "t.conf:1:6: error: bad name 'a/b' for 'pool': "
	    "'/' is not allowed; use letters, digits, '_', '.' and '-'");
	name_bad("pool caf\xc3\xa9", "t.conf:1:6: error: bad name "
	    "'caf\xc3\xa9' for 'pool': byte 0xc3 is not allowed; use letters, "
	    "digits, '_', '.' and '-'");
	name_bad("pool \"a\\tb\"", "t.conf:1:6: error: bad name 'a\\x09b' "
	    "for 'pool': byte 0x09 is not allowed; use letters, digits, "
	    "'_', '.' and '-'");

	stmt(&f, "pool abcd");
	assert_int_equal(conf_get_name(&f.d, f.n, 1, out, 4), -1);
	expect_error(&f, "t.conf:1:6: error: name 'abcd' for 'pool' does not "
	    "fit in 4 bytes (a bug: the buffer must hold 64)");
}

static void
test_keyword(void **state)
{
	static const char *const algos[] = {
		"round-robin", "least-conn", "ip-hash", "uri", NULL,
	};
	struct fx f;
	unsigned v = 99;

	(void)state;
	stmt(&f, "algorithm least-conn");
	assert_int_equal(conf_get_keyword(&f.d, f.n, 1, algos, &v), 0);
	assert_int_equal(v, 1);
	fx_free(&f);

	stmt(&f, "algorithm round-robn");
	assert_int_equal(conf_get_keyword(&f.d, f.n, 1, algos, &v), -1);
	expect_error(&f, "t.conf:1:11: error: 'algorithm' expects one of "
	    "round-robin, least-conn, ip-hash, uri; got 'round-robn'; did you "
	    "mean 'round-robin'?");
	stmt(&f, "algorithm random");
	assert_int_equal(conf_get_keyword(&f.d, f.n, 1, algos, &v), -1);
	expect_error(&f, "t.conf:1:11: error: 'algorithm' expects one of "
	    "round-robin, least-conn, ip-hash, uri; got 'random'");
	stmt(&f, "algorithm URI");
	assert_int_equal(conf_get_keyword(&f.d, f.n, 1, algos, &v), -1);
	expect_error(&f, "t.conf:1:11: error: 'algorithm' expects one of "
	    "round-robin, least-conn, ip-hash, uri; got 'URI'; did you mean "
	    "'uri'?");
	assert_int_equal(v, 1);
}

/* ---- addresses ---- */

static void
addr_ok(const char *word, int family, const char *normal)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char text[128], buf[128];
	struct fx f;

	snprintf(text, sizeof(text), "member m %s", word);
	stmt(&f, text);
	assert_int_equal(conf_get_sockaddr(&f.d, f.n, 2, &ss, &len), 0);
	assert_int_equal(ss.ss_family, family);
	assert_int_equal(len, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	conf_fmt_sockaddr(buf, sizeof(buf), &ss);
	assert_string_equal(buf, normal);
	fx_free(&f);
}

static void
addr_bad(const char *word, const char *msg)
{
	struct sockaddr_storage ss;
	socklen_t len = 7;
	char text[256], want[512];
	struct fx f;

	snprintf(text, sizeof(text), "member m %s", word);
	snprintf(want, sizeof(want), "t.conf:1:10: error: %s", msg);
	stmt(&f, text);
	assert_int_equal(conf_get_sockaddr(&f.d, f.n, 2, &ss, &len), -1);
	assert_int_equal(len, 7);
	expect_error(&f, want);
}

#define ADDR_BAD(w)	"bad address '" w "' for 'member': expected " \
			"IPV4:PORT or [IPV6]:PORT"
#define NO_PORT(w)	"bad address '" w "' for 'member': missing port; " \
			"expected IPV4:PORT or [IPV6]:PORT"

static void
test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct fx f;

	(void)state;
	addr_ok("192.0.2.1:80", AF_INET, "192.0.2.1:80");
	addr_ok("10.0.0.1:65535", AF_INET, "10.0.0.1:65535");
	addr_ok("*:80", AF_INET, "0.0.0.0:80");
	addr_ok("[2001:db8::1]:443", AF_INET6, "[2001:db8::1]:443");
	addr_ok("[2001:DB8:0::10]:80", AF_INET6, "[2001:db8::10]:80");
	addr_ok("[::]:80", AF_INET6, "[::]:80");
	addr_ok("[::ffff:192.0.2.1]:1", AF_INET6, "[::ffff:192.0.2.1]:1");

	stmt(&f, "listen *:8080");
	assert_int_equal(conf_get_sockaddr(&f.d, f.n, 1, &ss, &len), 0);
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_addr.s_addr,
	    htonl(INADDR_ANY));
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_port, htons(8080));
	fx_free(&f);

	addr_bad("10.0.1.300:80", ADDR_BAD("10.0.1.300:80"));
	addr_bad("10.0.1.3", NO_PORT("10.0.1.3"));
	addr_bad("10.0.1.3:", NO_PORT("10.0.1.3:"));
	addr_bad("*", NO_PORT("*"));
	addr_bad("[::1]", NO_PORT("[::1]"));
	addr_bad("[::1]:", NO_PORT("[::1]:"));
	addr_bad("10.0.1.3:0", "bad port '0' in '10.0.1.3:0' for 'member': "
	    "expected 1 to 65535");
	addr_bad("10.0.1.3:65536", "bad port '65536' in '10.0.1.3:65536' for "
	    "'member': expected 1 to 65535");
	addr_bad("10.0.1.3:8x", "bad port '8x' in '10.0.1.3:8x' for "
	    "'member': expected 1 to 65535");
	addr_bad("[::1]:99999999999999999999999", "bad port "
	    "'99999999999999999999999' in '[::1]:99999999999999999999999' for "
	    "'member': expected 1 to 65535");
	addr_bad("[::1]80", ADDR_BAD("[::1]80"));
	addr_bad("[::1:80", ADDR_BAD("[::1:80"));
	addr_bad("2001:db8::1:80", ADDR_BAD("2001:db8::1:80"));
	addr_bad("web:80", ADDR_BAD("web:80"));
	addr_bad("[10.0.0.1]:80", ADDR_BAD("[10.0.0.1]:80"));
	addr_bad("[*]:80", ADDR_BAD("[*]:80"));
	addr_bad("[1111:2222:3333:4444:5555:6666:7777:8888:9999]:80",
	    ADDR_BAD("[1111:2222:3333:4444:5555:6666:7777:8888:9999]:80"));
}

/* ---- did you mean ---- */

static void
test_did_you_mean(void **state)
{
	static const char *const words[] = {
		"listen", "workers", "pool", "algorithm", "loop",
	};
	static const char *const ties[] = { "cat", "bat" };
	const char *r;

	(void)state;
	assert_string_equal(conf_did_you_mean("lsiten", words, 5), "listen");
	assert_string_equal(conf_did_you_mean("LISTEN", words, 5), "listen");
	assert_string_equal(conf_did_you_mean("algoritm", words, 5),
	    "algorithm");
	assert_string_equal(conf_did_you_mean("alogrithm", words, 5),
	    "algorithm");
	assert_string_equal(conf_did_you_mean("workrs", words, 5), "workers");
	assert_string_equal(conf_did_you_mean("pol", words, 5), "pool");
	/* the nearest wins, even when a farther one comes first */
	assert_string_equal(conf_did_you_mean("loo", words, 5), "loop");
	/* a tie goes to the first */
	assert_string_equal(conf_did_you_mean("lool", words, 5), "pool");
	assert_string_equal(conf_did_you_mean("hat", ties, 2), "cat");
	assert_string_equal(conf_did_you_mean("ab", (const char *[]){ "ba" },
	    1), "ba");
	assert_string_equal(conf_did_you_mean("a", (const char *[]){ "A" },
	    1), "A");
	assert_null(conf_did_you_mean("a", (const char *[]){ "b" }, 1));
	assert_null(conf_did_you_mean("po", words, 5));
	assert_null(conf_did_you_mean("xyz", words, 5));
	assert_null(conf_did_you_mean("abcdefgh",
	    (const char *[]){ "abcxyzgh" }, 1));
	assert_string_equal(conf_did_you_mean("abcdefgh",
	    (const char *[]){ "abcxyfgh" }, 1), "abcxyfgh");
	assert_null(conf_did_you_mean("listen", words, 0));
	r = conf_did_you_mean("", words, 5);
	assert_null(r);
}

/* ---- normal forms ---- */

static void
test_fmt_duration(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 90000, "90s" }, { 120000, "2m" }, { 250, "250ms" },
		{ 86400000, "1d" }, { 3600000, "1h" }, { 0, "0s" },
		{ 1500, "1500ms" }, { 172800000, "2d" }, { 5400000, "90m" },
		{ UINT64_MAX, "18446744073709551615ms" },
	};
	char buf[32], text[64];
	struct fx f;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < NWANT(cases); i++) {
		conf_fmt_duration(buf, sizeof(buf), cases[i].ms);
		assert_string_equal(buf, cases[i].text);
		/* and it reads back */
		snprintf(text, sizeof(text), "t %s", buf);
		stmt(&f, text);
		assert_int_equal(conf_get_duration(&f.d, f.n, 1, 0,
		    UINT64_MAX, &v), 0);
		assert_int_equal(v, cases[i].ms);
		fx_free(&f);
	}
	conf_fmt_duration(buf, 4, 250);
	assert_string_equal(buf, "250");
}

static void
test_fmt_size(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 16384, "16k" }, { 1000, "1000" }, { 1048576, "1m" },
		{ UINT64_C(1) << 30, "1g" }, { 1536, "1536" }, { 0, "0" },
		{ UINT64_C(3) << 30, "3g" },
		{ (UINT64_C(1) << 30) + 1024, "1048577k" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char buf[32], text[64];
	struct fx f;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < NWANT(cases); i++) {
		conf_fmt_size(buf, sizeof(buf), cases[i].bytes);
		assert_string_equal(buf, cases[i].text);
		snprintf(text, sizeof(text), "t %s", buf);
		stmt(&f, text);
		assert_int_equal(conf_get_size(&f.d, f.n, 1, 0, UINT64_MAX,
		    &v), 0);
		assert_int_equal(v, cases[i].bytes);
		fx_free(&f);
	}
}

static void
test_fmt_sockaddr_family(void **state)
{
	struct sockaddr_storage ss;
	char buf[64];

	(void)state;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	conf_fmt_sockaddr(buf, sizeof(buf), &ss);
	assert_string_equal(buf, "(address family 1)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_keyword),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_did_you_mean),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_fmt_size),
		cmocka_unit_test(test_fmt_sockaddr_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
