/*
 * tests/unit/lb/test_rule_pattern.c - lb/rule_pattern.c: every match
 * method with and without -i against HAProxy's definitions (manual 7.1,
 * and its pattern.c for dom and dir's delimiters), the pattern files
 * (comments, blank lines, CRLF) and every error message word for word,
 * and sets of 100,000 patterns that must still answer right.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "rule_pattern.h"

#define BIG	100000
#define ERR_MAX	512

/* A sealed set of the NULL-terminated patterns, each of which must be
 * taken. */
static struct lb_patset *
make(enum lb_pat_method m, bool icase, const char *const *pats)
{
	struct lb_patset *set = lb_patset_new(m, icase);
	char err[ERR_MAX] = "";

	assert_non_null(set);
	for (; *pats != NULL; pats++) {
		if (lb_patset_add(set, *pats, strlen(*pats), err,
		    sizeof(err)) < 0)
			fail_msg("pattern \"%s\" refused: %s", *pats, err);
	}
	assert_int_equal(lb_patset_seal(set, err, sizeof(err)), 0);
	return set;
}

static bool
ms(const struct lb_patset *set, const char *s)
{
	return lb_patset_match_str(set, s, strlen(s));
}

/* The message pattern pat gets from a set of method m. */
static void
refused(enum lb_pat_method m, const char *pat, const char *want)
{
	struct lb_patset *set = lb_patset_new(m, false);
	char err[ERR_MAX] = "";

	assert_non_null(set);
	assert_int_equal(lb_patset_add(set, pat, strlen(pat), err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(lb_patset_count(set), 0);
	lb_patset_free(&set);
	assert_null(set);
}

static bool
mip(const struct lb_patset *set, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1)
		return lb_patset_match_ip(set, (struct sockaddr *)&sin);
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	return lb_patset_match_ip(set, (struct sockaddr *)&sin6);
}

static void
test_method_names(void **state)
{
	(void)state;
	for (int m = 0; m < LB_PAT_METHOD_COUNT; m++) {
		assert_non_null(lb_pat_method_names[m]);
		assert_int_equal(lb_pat_method_from_name(
		    lb_pat_method_names[m]), m);
		assert_string_equal(lb_pat_method_name(m),
		    lb_pat_method_names[m]);
	}
	assert_null(lb_pat_method_names[LB_PAT_METHOD_COUNT]);
	assert_int_equal(lb_pat_method_from_name("beg"), LB_PAT_BEG);
	assert_int_equal(lb_pat_method_from_name("BEG"), -1);
	assert_int_equal(lb_pat_method_from_name("bool"), -1);
	assert_int_equal(lb_pat_method_from_name(""), -1);
	assert_string_equal(lb_pat_method_name(LB_PAT_METHOD_COUNT), "?");
}

static void
test_str(void **state)
{
	const char *const pats[] = { "GET", "HEAD", "GET", "", NULL };
	struct lb_patset *set = make(LB_PAT_STR, false, pats);
	struct lb_patset *iset = make(LB_PAT_STR, true, pats);

	(void)state;
	assert_int_equal(lb_patset_count(set), 4);
	assert_int_equal(lb_patset_method(set), LB_PAT_STR);
	assert_true(ms(set, "GET"));
	assert_true(ms(set, "HEAD"));
	assert_true(ms(set, ""));
	assert_false(ms(set, "get"));
	assert_false(ms(set, "GETX"));
	assert_false(ms(set, "GE"));
	assert_true(ms(iset, "get"));
	assert_true(ms(iset, "hEaD"));
	assert_false(ms(iset, "POST"));
	/* bytes, not C strings */
	assert_false(lb_patset_match_str(set, "GET\0", 4));
	lb_patset_free(&set);
	lb_patset_free(&iset);
}

/* With few patterns (each compared) and with more than AFFIX_SCAN_MAX
 * (the hash): the same answers. */
static void
test_beg_end(void **state)
{
	const char *const begs[2][13] = {
		{ "/api/", "/static", "/s", NULL },
		{ "/api/", "/static", "/s", "/q0", "/q1", "/q2", "/q3", "/q4",
		  "/q5", "/q6", "/q7", "/q8", NULL },
	};
	const char *const ends[2][13] = {
		{ ".css", ".JS", ".png", "x", NULL },
		{ ".css", ".JS", ".png", "x", "~0", "~1", "~2", "~3", "~4",
		  "~5", "~6", "~7", NULL },
	};

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct lb_patset *beg = make(LB_PAT_BEG, false, begs[v]);
		struct lb_patset *ibeg = make(LB_PAT_BEG, true, begs[v]);
		struct lb_patset *end = make(LB_PAT_END, false, ends[v]);
		struct lb_patset *iend = make(LB_PAT_END, true, ends[v]);

		assert_true(ms(beg, "/api/v1"));
		assert_true(ms(beg, "/api/"));
		assert_false(ms(beg, "/api"));
		assert_true(ms(beg, "/staticfiles"));
		assert_true(ms(beg, "/s"));
		assert_false(ms(beg, "/API/v1"));
		assert_false(ms(beg, ""));
		assert_true(ms(ibeg, "/API/v1"));
		assert_true(ms(ibeg, "/S"));
		assert_true(ms(end, "/a/b.css"));
		assert_true(ms(end, ".css"));
		assert_false(ms(end, "css"));
		assert_false(ms(end, "/app.js"));
		assert_true(ms(end, "/app.JS"));
		assert_true(ms(end, "box"));
		assert_false(ms(end, "/a.CSS"));
		assert_true(ms(iend, "/a.CSS"));
		assert_true(ms(iend, "/app.js"));
		assert_true(ms(iend, "X"));
		assert_false(ms(iend, ""));
		lb_patset_free(&beg);
		lb_patset_free(&ibeg);
		lb_patset_free(&end);
		lb_patset_free(&iend);
	}
}

static void
test_empty_patterns(void **state)
{
	const char *const empty[] = { "", NULL };
	enum lb_pat_method all[] = { LB_PAT_BEG, LB_PAT_END, LB_PAT_SUB };
	const char *const none[] = { NULL };
	struct lb_patset *set;

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		set = make(all[i], false, empty);
		assert_true(ms(set, ""));
		assert_true(ms(set, "anything"));
		lb_patset_free(&set);
	}
	/* no pattern at all: nothing matches (found aside) */
	for (int m = 0; m < LB_PAT_METHOD_COUNT; m++) {
		set = make(m, false, none);
		assert_int_equal(ms(set, "") && ms(set, "1"),
		    m == LB_PAT_FOUND);
		lb_patset_free(&set);
	}
	lb_pat_thread_done();
}

static void
test_sub(void **state)
{
	const char *const pats[] = { "sqlmap", "Nikto", NULL };
	struct lb_patset *set = make(LB_PAT_SUB, false, pats);
	struct lb_patset *iset = make(LB_PAT_SUB, true, pats);

	(void)state;
	assert_true(ms(set, "sqlmap/1.5"));
	assert_true(ms(set, "Mozilla (Nikto)"));
	assert_false(ms(set, "mozilla (nikto)"));
	assert_false(ms(set, "sqlma"));
	assert_false(ms(set, ""));
	assert_true(ms(iset, "x SQLMAP y"));
	assert_true(ms(iset, "niKTO"));
	assert_false(ms(iset, "nikt"));
	lb_patset_free(&set);
	lb_patset_free(&iset);
}

/* Substrings found by first byte and compare (16 bytes and less) and by
 * memmem (longer): at the start, the end, after false starts, the whole
 * sample; not one byte short. */
static void
test_sub_places(void **state)
{
	const char *const pats[] = { "aab", "0123456789abcdef",
	    "0123456789abcdefg", "z", NULL };
	struct lb_patset *set = make(LB_PAT_SUB, false, pats);
	struct lb_patset *iset = make(LB_PAT_SUB, true, pats);

	(void)state;
	assert_true(ms(set, "aab"));
	assert_true(ms(set, "aaaaab"));
	assert_true(ms(set, "aabxx"));
	assert_true(ms(set, "xaaaab"));
	assert_false(ms(set, "aaaaa"));
	assert_false(ms(set, "aa"));
	assert_true(ms(set, "..0123456789abcdef"));
	assert_true(ms(set, "0123456789abcdefg"));
	assert_true(ms(set, "xx0123456789abcdef0123456789abcdefg"));
	assert_false(ms(set, "0123456789abcde"));
	assert_true(ms(set, "z"));
	assert_true(ms(set, "....z"));
	assert_false(ms(set, "Z"));
	assert_true(ms(iset, "xAAB"));
	assert_true(ms(iset, "0123456789ABCDEFG"));
	assert_true(ms(iset, "Z"));
	assert_false(ms(iset, "AA-B"));
	lb_patset_free(&set);
	lb_patset_free(&iset);
}

/* Without case, A-Z and only those fold, wherever the byte stands in
 * the sample (which is folded eight bytes at a time). */
static void
test_sub_fold(void **state)
{
	(void)state;
	for (int c = 1; c < 256; c++)
		for (int at = 0; at < 10; at++) {
			char pat[3] = { '#', (char)(c >= 'A' && c <= 'Z' ?
			    c + 32 : c), '#' }, other[3] = { '#',
			    (char)(c ^ 0x20), '#' }, sample[32];
			struct lb_patset *set = lb_patset_new(LB_PAT_SUB,
			    true), *no = lb_patset_new(LB_PAT_SUB, true);
			char err[ERR_MAX];
			bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';

			assert_int_equal(lb_patset_add(set, pat, 3, err,
			    sizeof(err)), 0);
			assert_int_equal(lb_patset_add(no, other, 3, err,
			    sizeof(err)), 0);
			assert_int_equal(lb_patset_seal(set, err, sizeof(err)),
			    0);
			assert_int_equal(lb_patset_seal(no, err, sizeof(err)),
			    0);
			memset(sample, '.', sizeof(sample));
			sample[at] = '#';
			sample[at + 1] = (char)c;
			sample[at + 2] = '#';
			if (!lb_patset_match_str(set, sample, 20))
				fail_msg("byte %#x at %d: no match", c, at + 1);
			if (!letter && lb_patset_match_str(no, sample, 20))
				fail_msg("byte %#x at %d: folded", c, at + 1);
			lb_patset_free(&set);
			lb_patset_free(&no);
		}
}

static void
test_reg(void **state)
{
	const char *const pats[] = { "^/v1/(.*)$", "\\.php[0-9]?$", NULL };
	const char *const empty[] = { "", NULL };
	struct lb_patset *set = make(LB_PAT_REG, false, pats);
	struct lb_patset *iset = make(LB_PAT_REG, true, pats);
	struct lb_patset *eset = make(LB_PAT_REG, false, empty);

	(void)state;
	assert_int_equal(lb_pat_thread_init(), 0);
	assert_true(ms(set, "/v1/users"));
	assert_true(ms(set, "/index.php5"));
	assert_false(ms(set, "/V1/users"));
	assert_false(ms(set, "/v2/users"));
	assert_false(ms(set, "/index.PHP"));
	assert_true(ms(iset, "/V1/users"));
	assert_true(ms(iset, "/index.PHP"));
	assert_true(ms(eset, ""));
	assert_true(ms(eset, "x"));
	/* a NUL is a byte like another */
	assert_true(lb_patset_match_str(set, "/v1/\0x", 6));
	lb_patset_free(&set);
	lb_patset_free(&iset);
	lb_patset_free(&eset);
	lb_pat_thread_done();
	lb_pat_thread_done();
}

static void
test_dom(void **state)
{
	const char *const pats[] = { "foo", ".example.com.", "..:/?", NULL };
	struct lb_patset *set = make(LB_PAT_DOM, false, pats);
	struct lb_patset *iset = make(LB_PAT_DOM, true, pats);

	(void)state;
	assert_int_equal(lb_patset_count(set), 3);
	assert_true(ms(set, "foo"));
	assert_true(ms(set, "foo.com"));
	assert_true(ms(set, "www.foo.com"));
	assert_true(ms(set, "www.foo"));
	assert_true(ms(set, "foo:8080"));
	assert_true(ms(set, "http://foo/x"));
	assert_true(ms(set, "a?foo"));
	assert_false(ms(set, "foobar.com"));
	assert_false(ms(set, "www.xfoo.com"));
	assert_false(ms(set, "www.foo-bar.com"));
	assert_false(ms(set, "FOO.com"));
	assert_true(ms(set, "www.example.com"));
	assert_true(ms(set, "example.com:443"));
	assert_false(ms(set, "www.myexample.com"));
	assert_false(ms(set, "example.co"));
	assert_false(ms(set, "example.community"));
	/* the pattern of delimiters only is no word: it matched nothing */
	assert_false(ms(set, "..:/?"));
	assert_false(ms(set, ""));
	assert_true(ms(iset, "WWW.FOO.COM"));
	assert_true(ms(iset, "Www.Example.Com"));
	lb_patset_free(&set);
	lb_patset_free(&iset);
}

static void
test_dir(void **state)
{
	const char *const pats[] = { "/api/", "img/big", NULL };
	struct lb_patset *set = make(LB_PAT_DIR, false, pats);
	struct lb_patset *iset = make(LB_PAT_DIR, true, pats);

	(void)state;
	assert_true(ms(set, "/api/v1"));
	assert_true(ms(set, "/v1/api"));
	assert_true(ms(set, "/api?x=1"));
	assert_true(ms(set, "api"));
	assert_false(ms(set, "/apis/v1"));
	assert_false(ms(set, "/v1/myapi"));
	/* '.' and ':' separate words for dom only */
	assert_false(ms(set, "/a.api"));
	assert_false(ms(set, "/api.v1"));
	assert_false(ms(set, "/api:1"));
	assert_true(ms(set, "/s/img/big/x.png"));
	assert_false(ms(set, "/s/img/bigger"));
	assert_false(ms(set, "/API/v1"));
	assert_true(ms(iset, "/API/v1"));
	assert_true(ms(iset, "/IMG/Big"));
	lb_patset_free(&set);
	lb_patset_free(&iset);
}

static void
test_len(void **state)
{
	const char *const pats[] = { "3", "5:6", "gt", "20", NULL };
	struct lb_patset *set = make(LB_PAT_LEN, false, pats);
	char buf[64];

	(void)state;
	for (size_t n = 0; n < sizeof(buf); n++) {
		bool want = n == 3 || n == 5 || n == 6 || n > 20;

		memset(buf, 'a', n);
		assert_int_equal(lb_patset_match_str(set, buf, n), want);
	}
	lb_patset_free(&set);
}

static void
test_found(void **state)
{
	const char *const none[] = { NULL };
	struct lb_patset *set = make(LB_PAT_FOUND, false, none);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char err[ERR_MAX];

	(void)state;
	assert_true(ms(set, ""));
	assert_true(ms(set, "x"));
	assert_true(lb_patset_match_int(set, 0));
	assert_true(lb_patset_match_ip(set, (struct sockaddr *)&sin));
	lb_patset_free(&set);
	refused(LB_PAT_FOUND, "x", "-m found takes no pattern");
	set = lb_patset_new(LB_PAT_FOUND, true);
	assert_int_equal(lb_patset_load(set, "# none\n\n", 8, "f.txt", err,
	    sizeof(err)), 0);
	assert_int_equal(lb_patset_load(set, "\n  y\n", 5, "f.txt", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "f.txt:2:3: -m found takes no pattern");
	lb_patset_free(&set);
}

static void
test_int(void **state)
{
	const char *const pats[] = { "5", "10:20", ":-100", "1000:", "-7",
		NULL };
	const char *const ops[] = { "gt", "100", "200", "lt", "-5", "le 0",
		"30:40", "eq", "70", NULL };
	const char *const ge[] = { "ge", "50", NULL };
	struct lb_patset *set = make(LB_PAT_INT, false, pats);
	struct lb_patset *oset = make(LB_PAT_INT, false, ops);
	struct lb_patset *gset = make(LB_PAT_INT, false, ge);

	(void)state;
	assert_true(lb_patset_match_int(set, 5));
	assert_false(lb_patset_match_int(set, 6));
	assert_true(lb_patset_match_int(set, 10));
	assert_true(lb_patset_match_int(set, 20));
	assert_false(lb_patset_match_int(set, 21));
	assert_true(lb_patset_match_int(set, INT64_MIN));
	assert_true(lb_patset_match_int(set, -100));
	assert_false(lb_patset_match_int(set, -99));
	assert_true(lb_patset_match_int(set, -7));
	assert_true(lb_patset_match_int(set, INT64_MAX));
	assert_false(lb_patset_match_int(set, 999));
	/* a string sample is read as a decimal integer, all of it */
	assert_true(ms(set, "15"));
	assert_true(ms(set, "-7"));
	assert_false(ms(set, "15x"));
	assert_false(ms(set, ""));
	/* gt stays in force for 200; lt -5 then "le 0" for that value
	 * only, then lt again for nothing; a range ignores it */
	assert_int_equal(lb_patset_count(oset), 9);
	assert_false(lb_patset_match_int(oset, 100));
	assert_true(lb_patset_match_int(oset, 101));
	assert_true(lb_patset_match_int(oset, -6));
	assert_true(lb_patset_match_int(oset, 0));
	assert_false(lb_patset_match_int(oset, 1));
	assert_true(lb_patset_match_int(oset, 35));
	assert_false(lb_patset_match_int(oset, 41));
	assert_true(lb_patset_match_int(oset, 70));
	assert_false(lb_patset_match_int(oset, 71));
	assert_true(lb_patset_match_int(gset, 50));
	assert_false(lb_patset_match_int(gset, 49));
	lb_patset_free(&set);
	lb_patset_free(&oset);
	lb_patset_free(&gset);
}

static void
test_int_errors(void **state)
{
	struct lb_patset *set = lb_patset_new(LB_PAT_INT, false);
	char err[ERR_MAX];

	(void)state;
	refused(LB_PAT_INT, "abc", "\"abc\" is not an integer or a range "
	    "LO:HI");
	refused(LB_PAT_INT, "", "\"\" is not an integer or a range LO:HI");
	refused(LB_PAT_INT, ":", "\":\" is not an integer or a range LO:HI");
	refused(LB_PAT_INT, "1:2:3", "\"1:2:3\" is not an integer or a range "
	    "LO:HI");
	refused(LB_PAT_INT, "9223372036854775808", "\"9223372036854775808\" "
	    "is not an integer or a range LO:HI");
	refused(LB_PAT_INT, "20:10", "\"20:10\" matches no integer");
	refused(LB_PAT_INT, "gt 9223372036854775807",
	    "\"9223372036854775807\" matches no integer");
	refused(LB_PAT_INT, "lt -9223372036854775808",
	    "\"-9223372036854775808\" matches no integer");
	refused(LB_PAT_INT, "ne", "\"ne\" is not supported (HAProxy reads it "
	    "as eq): negate the ACL with '!' instead");
	refused(LB_PAT_LEN, "ne 5", "\"ne\" is not supported (HAProxy reads "
	    "it as eq): negate the ACL with '!' instead");
	refused(LB_PAT_INT, "gt100", "\"gt100\" is not an integer or a range "
	    "LO:HI");
	assert_int_equal(lb_patset_add(set, "-9223372036854775808", 20, err,
	    sizeof(err)), 0);
	assert_int_equal(lb_patset_add(set, "gt", 2, err, sizeof(err)), 0);
	assert_int_equal(lb_patset_seal(set, err, sizeof(err)), -1);
	assert_string_equal(err, "operator \"gt\" has no value after it");
	lb_patset_free(&set);
	set = lb_patset_new(LB_PAT_INT, false);
	assert_int_equal(lb_patset_load(set, "1\nlt\n2\n", 7, "ports", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "ports:2:1: \"lt\" needs a value on its line");
	lb_patset_free(&set);
}

static void
test_ip_v4(void **state)
{
	const char *const pats[] = { "10.0.0.0/8", "192.168.1.7",
		"172.16.5.9/12", "192.0.2.0/255.255.255.0", "198.51.100.1/32",
		NULL };
	struct lb_patset *set = make(LB_PAT_IP, false, pats);

	(void)state;
	assert_true(mip(set, "10.0.0.0"));
	assert_true(mip(set, "10.255.255.255"));
	assert_false(mip(set, "11.0.0.0"));
	assert_false(mip(set, "9.255.255.255"));
	assert_true(mip(set, "192.168.1.7"));
	assert_false(mip(set, "192.168.1.8"));
	/* host bits past the prefix are ignored, as HAProxy does */
	assert_true(mip(set, "172.31.255.255"));
	assert_false(mip(set, "172.32.0.0"));
	assert_true(mip(set, "192.0.2.200"));
	assert_false(mip(set, "192.0.3.1"));
	assert_true(mip(set, "198.51.100.1"));
	assert_false(mip(set, "198.51.100.2"));
	/* an IPv4-mapped IPv6 sample is the IPv4 address */
	assert_true(mip(set, "::ffff:10.1.2.3"));
	assert_false(mip(set, "::ffff:11.1.2.3"));
	assert_false(mip(set, "::10.1.2.3"));
	assert_false(mip(set, "2001:db8::1"));
	/* and as text, as a header's value would come */
	assert_true(ms(set, "10.9.9.9"));
	assert_true(ms(set, "::ffff:10.9.9.9"));
	assert_false(ms(set, "10.9.9.9/8"));
	assert_false(ms(set, "ten"));
	assert_false(lb_patset_match_int(set, 10));
	lb_patset_free(&set);
}

static void
test_ip_v6(void **state)
{
	const char *const pats[] = { "2001:db8::/32", "fe80::1",
		"::ffff:203.0.113.0/120", "2001:db8:ffff::/48", NULL };
	struct lb_patset *set = make(LB_PAT_IP, false, pats);

	(void)state;
	assert_true(mip(set, "2001:db8::"));
	assert_true(mip(set, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(mip(set, "2001:db9::"));
	assert_false(mip(set, "2001:db7:ffff::"));
	assert_true(mip(set, "fe80::1"));
	assert_false(mip(set, "fe80::2"));
	/* a mapped IPv6 pattern is the IPv4 prefix */
	assert_true(mip(set, "203.0.113.77"));
	assert_true(mip(set, "::ffff:203.0.113.1"));
	assert_false(mip(set, "203.0.114.1"));
	assert_false(mip(set, "10.0.0.1"));
	lb_patset_free(&set);
}

static void
test_ip_edges(void **state)
{
	const char *const all4[] = { "0.0.0.0/0", NULL };
	const char *const all6[] = { "::/0", NULL };
	const char *const one6[] = { "2001:db8::5/128", NULL };
	const char *const one4[] = { "255.255.255.255/32", NULL };
	struct lb_patset *s4 = make(LB_PAT_IP, false, all4);
	struct lb_patset *s6 = make(LB_PAT_IP, false, all6);
	struct lb_patset *o6 = make(LB_PAT_IP, false, one6);
	struct lb_patset *o4 = make(LB_PAT_IP, false, one4);
	struct sockaddr sa = { .sa_family = AF_UNIX };

	(void)state;
	assert_true(mip(s4, "0.0.0.0"));
	assert_true(mip(s4, "255.255.255.255"));
	assert_true(mip(s4, "::ffff:1.2.3.4"));
	assert_false(mip(s4, "::1"));
	assert_false(mip(s4, "2001:db8::1"));
	assert_true(mip(s6, "::"));
	assert_true(mip(s6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	/* an IPv4 sample is also ::ffff:a.b.c.d to IPv6 patterns */
	assert_true(mip(s6, "1.2.3.4"));
	assert_true(mip(o6, "2001:db8::5"));
	assert_false(mip(o6, "2001:db8::4"));
	assert_false(mip(o6, "2001:db8::6"));
	assert_true(mip(o4, "255.255.255.255"));
	assert_false(mip(o4, "255.255.255.254"));
	assert_false(mip(o4, "::ffff:ffff:fffe"));
	assert_false(lb_patset_match_ip(s6, &sa));
	lb_patset_free(&s4);
	lb_patset_free(&s6);
	lb_patset_free(&o6);
	lb_patset_free(&o4);
}

static void
test_ip_errors(void **state)
{
	(void)state;
	refused(LB_PAT_IP, "10.0.0.300", "\"10.0.0.300\" is not an IP "
	    "address or prefix");
	refused(LB_PAT_IP, "10.0.0.0/33", "\"10.0.0.0/33\" is not an IP "
	    "address or prefix");
	refused(LB_PAT_IP, "2001:db8::/129", "\"2001:db8::/129\" is not an "
	    "IP address or prefix");
	refused(LB_PAT_IP, "10.0.0.0/", "\"10.0.0.0/\" is not an IP address "
	    "or prefix");
	refused(LB_PAT_IP, "10.0.0.0/255.0.255.0", "\"10.0.0.0/255.0.255.0\" "
	    "is not an IP address or prefix");
	refused(LB_PAT_IP, "host.example.com", "\"host.example.com\" is not "
	    "an IP address or prefix");
	refused(LB_PAT_IP, "10.0.0.1:80", "\"10.0.0.1:80\" is not an IP "
	    "address or prefix");
	refused(LB_PAT_IP, "", "\"\" is not an IP address or prefix");
	refused(LB_PAT_IP, "2001:db8::/32/1", "\"2001:db8::/32/1\" is not an "
	    "IP address or prefix");
}

static void
test_reg_errors(void **state)
{
	(void)state;
	refused(LB_PAT_REG, "a(b", "\"a(b\" is not a valid regex: missing "
	    "closing parenthesis (at byte 3)");
	refused(LB_PAT_REG, "*x", "\"*x\" is not a valid regex: quantifier "
	    "does not follow a repeatable item (at byte 0)");
}

/* What a message quotes: '"', '\' and bytes that do not print escaped,
 * 64 bytes at most. */
static void
test_quoting(void **state)
{
	char big[200];
	char want[200];

	(void)state;
	refused(LB_PAT_IP, "a\"b\\c\x01\xff", "\"a\\\"b\\\\c\\x01\\xff\" is "
	    "not an IP address or prefix");
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(want, sizeof(want), "\"%.64s...\" is not an integer or a "
	    "range LO:HI", big);
	refused(LB_PAT_INT, big, want);
}

static void
test_load(void **state)
{
	static const char text[] = "# blocklist\r\n"
		"\r\n"
		"10.0.0.0/8\r\n"
		"   192.168.1.1  \t\r\n"
		"\t# indented comment\n"
		"   \n"
		"2001:db8::/32\n"
		"203.0.113.9";		/* no newline at the end */
	struct lb_patset *set = lb_patset_new(LB_PAT_IP, false);
	char err[ERR_MAX] = "";

	(void)state;
	assert_int_equal(lb_patset_load(set, text, sizeof(text) - 1,
	    "blocklist.txt", err, sizeof(err)), 0);
	assert_int_equal(lb_patset_count(set), 4);
	assert_int_equal(lb_patset_load(set, "", 0, "empty", err,
	    sizeof(err)), 0);
	assert_int_equal(lb_patset_load(set, NULL, 0, "none", err,
	    sizeof(err)), 0);
	assert_int_equal(lb_patset_seal(set, err, sizeof(err)), 0);
	assert_true(mip(set, "10.2.3.4"));
	assert_true(mip(set, "192.168.1.1"));
	assert_true(mip(set, "2001:db8::99"));
	assert_true(mip(set, "203.0.113.9"));
	assert_false(mip(set, "203.0.113.8"));
	lb_patset_free(&set);
}

static void
test_load_str(void **state)
{
	static const char text[] = "Admin.Example.com\r\n"
		"  with inner space  \n"
		"#comment\n"
		"x#y\n";
	struct lb_patset *set = lb_patset_new(LB_PAT_STR, true);
	char err[ERR_MAX] = "";

	(void)state;
	assert_int_equal(lb_patset_load(set, text, sizeof(text) - 1, "hosts",
	    err, sizeof(err)), 0);
	assert_int_equal(lb_patset_seal(set, err, sizeof(err)), 0);
	assert_true(ms(set, "admin.example.COM"));
	assert_true(ms(set, "WITH inner space"));
	assert_true(ms(set, "x#y"));
	assert_false(ms(set, "#comment"));
	assert_false(ms(set, "Admin.Example.com\r"));
	lb_patset_free(&set);
}

static void
test_load_errors(void **state)
{
	char text[256] = "";
	struct lb_patset *set = lb_patset_new(LB_PAT_IP, false);
	char err[ERR_MAX] = "";
	size_t n = 0;

	(void)state;
	for (int i = 1; i < 12; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    i % 3 ? "10.0.%d.0/24\n" : "# %d\n", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "10.0.0.300\n");
	assert_int_equal(lb_patset_load(set, text, n, "blocklist.txt", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "blocklist.txt:12:1: \"10.0.0.300\" is not "
	    "an IP address or prefix");
	lb_patset_free(&set);
	set = lb_patset_new(LB_PAT_REG, false);
	assert_int_equal(lb_patset_load(set, "ok\r\n\t  (x  \r\n", 13,
	    "re.txt", err, sizeof(err)), -1);
	assert_string_equal(err, "re.txt:2:4: \"(x\" is not a valid regex: "
	    "missing closing parenthesis (at byte 2)");
	lb_patset_free(&set);
}

static void
test_casts(void **state)
{
	const char *const ports[] = { "443", "-1", NULL };
	const char *const hosts[] = { "10.0.0.1", "2001:db8::1", NULL };
	struct lb_patset *set = make(LB_PAT_STR, false, ports);
	struct lb_patset *hset = make(LB_PAT_END, false, hosts);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	(void)state;
	assert_true(lb_patset_match_int(set, 443));
	assert_true(lb_patset_match_int(set, -1));
	assert_false(lb_patset_match_int(set, 80));
	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	assert_true(lb_patset_match_ip(hset, (struct sockaddr *)&sin));
	assert_true(lb_patset_match_ip(hset, (struct sockaddr *)&sin6));
	lb_patset_free(&set);
	lb_patset_free(&hset);
}

/* 100,000 patterns read from a file: every one found, near misses not. */
static void
test_big_str(void **state)
{
	enum lb_pat_method ms_[] = { LB_PAT_STR, LB_PAT_BEG, LB_PAT_END };
	size_t cap = (size_t)BIG * 32, n = 0;
	char *text = malloc(cap);
	char err[ERR_MAX] = "", s[64];

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < BIG; i++)
		n += (size_t)snprintf(text + n, cap - n, "H%d.Example.com\n",
		    i * 7);
	for (size_t k = 0; k < sizeof(ms_) / sizeof(ms_[0]); k++) {
		struct lb_patset *set = lb_patset_new(ms_[k], true);

		assert_int_equal(lb_patset_load(set, text, n, "big", err,
		    sizeof(err)), 0);
		assert_int_equal(lb_patset_seal(set, err, sizeof(err)), 0);
		assert_int_equal(lb_patset_count(set), BIG);
		for (int i = 0; i < BIG * 7; i += 3) {
			int len = snprintf(s, sizeof(s), "%s%d.example.COM%s",
			    ms_[k] == LB_PAT_END ? "x.h" : "h", i,
			    ms_[k] == LB_PAT_BEG ? "/x" : "");

			assert_int_equal(lb_patset_match_str(set, s,
			    (size_t)len), i % 7 == 0);
		}
		lb_patset_free(&set);
	}
	free(text);
}

static void
test_big_ip(void **state)
{
	size_t cap = (size_t)BIG * 32, n = 0;
	char *text = malloc(cap);
	struct lb_patset *set = lb_patset_new(LB_PAT_IP, false);
	char err[ERR_MAX] = "", a[64];

	(void)state;
	assert_non_null(text);
	assert_non_null(set);
	/* /32s every third address of 10.0.0.0/8's low part, and IPv6
	 * /64s every other one */
	for (int i = 0; i < BIG / 2; i++)
		n += (size_t)snprintf(text + n, cap - n,
		    "10.%d.%d.%d\n2001:db8:%x:%x::/64\n", (i * 3) >> 16,
		    ((i * 3) >> 8) & 255, (i * 3) & 255, (i * 2) >> 16,
		    (i * 2) & 0xffff);
	assert_int_equal(lb_patset_load(set, text, n, "big", err,
	    sizeof(err)), 0);
	assert_int_equal(lb_patset_seal(set, err, sizeof(err)), 0);
	assert_int_equal(lb_patset_count(set), BIG);
	for (int i = 0; i < BIG / 2 * 3; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		assert_int_equal(mip(set, a), i % 3 == 0);
	}
	for (int i = 0; i < BIG; i++) {
		snprintf(a, sizeof(a), "2001:db8:%x:%x:1::", i >> 16,
		    i & 0xffff);
		assert_int_equal(mip(set, a), i % 2 == 0);
	}
	lb_patset_free(&set);
	free(text);
}

/* ---- ip sets against a plain scan of their prefixes ---- */

typedef unsigned __int128 u128;

struct net {
	u128 lo, hi;
};

static uint64_t
next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static u128
mask_of(unsigned bits)
{
	return bits == 0 ? 0 : ~(u128)0 << (128 - bits);
}

/* Whether pat is in s, byte by byte (A-Z folded when icase): what sub
 * must find. */
static bool
naive_sub(const char *s, size_t len, const char *pat, bool icase)
{
	size_t plen = strlen(pat);

	for (size_t i = 0; i + plen <= len; i++) {
		size_t j = 0;

		while (j < plen && (icase ? (s[i + j] | 0x20) ==
		    (pat[j] | 0x20) : s[i + j] == pat[j]))
			j++;
		if (j == plen)
			return true;
	}
	return false;
}

/* Sets of two to eight patterns of two bytes or more are searched
 * sixteen places at a time (sub_vec): the same answers as a search of
 * each, for random samples of a small alphabet (so that first bytes
 * match often and whole patterns sometimes), at every length from 0 to
 * 80 (several blocks, a pattern across a block's end or at the very
 * end), with and without case, and past the longest sample folded in
 * one go (the pattern-by-pattern path). */
static void
test_sub_vec(void **state)
{
	const char *const sets[][9] = {
		{ "ab", "ba", NULL },
		{ "aab", "b-a", "-ab-", "abba", "bb-", "a--a", "baab",
		  "-b-b", NULL },
		{ "sqlmap", "nikto", "nmap", "masscan", "zgrab", NULL },
	};
	const char alphabet[] = "abAB-";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char big[2100];

	(void)state;
	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++)
		for (int icase = 0; icase < 2; icase++) {
			struct lb_patset *set = make(LB_PAT_SUB, icase,
			    sets[k]);

			for (int n = 0; n < 4000; n++) {
				char s[81];
				size_t len = (size_t)n % sizeof(s);
				bool want = false;

				for (size_t i = 0; i < len; i++)
					s[i] = alphabet[next_rand(&x) % 5];
				s[len] = '\0';
				if (k == 2 && len > 6)	/* now and then */
					memcpy(s + len - 6, n % 3 ? "NMAP-x" :
					    "nmap-x", 6);
				for (size_t p = 0; sets[k][p] != NULL; p++)
					want = want || naive_sub(s, len,
					    sets[k][p], icase);
				assert_int_equal(lb_patset_match_str(set, s,
				    len), want);
			}
			memset(big, 'x', sizeof(big));
			memcpy(big + sizeof(big) - 5, "zgrab", 5);
			assert_int_equal(lb_patset_match_str(set, big,
			    sizeof(big)), k != 1);
			memcpy(big + sizeof(big) - 5, "ZGRAB", 5);
			assert_int_equal(lb_patset_match_str(set, big,
			    sizeof(big)), k != 1 && icase);
			lb_patset_free(&set);
		}
}

/* Regexes that are "^" and a literal are matched as beg is, without
 * PCRE2, when all of a set's are: the same answers as PCRE2 gives (the
 * same set with a regex that never matches added, which keeps it on
 * PCRE2), with and without case, for random sets and samples of a small
 * alphabet, "^" alone among them. */
static void
test_reg_literal(void **state)
{
	const char alphabet[] = "aAbB/-";
	uint64_t x = 0x2545f4914f6cdd1dULL;

	(void)state;
	assert_int_equal(lb_pat_thread_init(), 0);
	for (int n = 0; n < 300; n++) {
		char pats[5][8];
		const char *lits[6], *ref[7];
		size_t np = 1 + next_rand(&x) % 4;
		bool icase = n % 2;
		struct lb_patset *set, *pcre;

		for (size_t k = 0; k < np; k++) {
			size_t len = next_rand(&x) % 6;

			pats[k][0] = '^';
			for (size_t i = 1; i <= len; i++)
				pats[k][i] = alphabet[next_rand(&x) % 6];
			pats[k][len + 1] = '\0';
			lits[k] = ref[k] = pats[k];
		}
		lits[np] = NULL;
		ref[np] = "(*FAIL)";
		ref[np + 1] = NULL;
		set = make(LB_PAT_REG, icase, lits);
		pcre = make(LB_PAT_REG, icase, ref);

		for (int m = 0; m < 100; m++) {
			char sample[9];
			size_t len = next_rand(&x) % sizeof(sample);

			for (size_t i = 0; i < len; i++)
				sample[i] = "aAbB/-x"[next_rand(&x) % 7];
			assert_int_equal(lb_patset_match_str(set, sample, len),
			    lb_patset_match_str(pcre, sample, len));
		}
		lb_patset_free(&set);
		lb_patset_free(&pcre);
	}
	lb_pat_thread_done();
}

/* A random prefix: IPv4 (as ::ffff:a.b.c.d) from /8 to /32 two times
 * in three, else IPv6 from /16 to /128 (which leaves ::ffff:0:0/96 to
 * the IPv4 ones); written into text. */
static struct net
random_net(uint64_t *x, char *text, size_t size)
{
	u128 a = (u128)next_rand(x) << 64 | next_rand(x);
	unsigned bits;
	struct net n;
	unsigned char b[16];
	char s[INET6_ADDRSTRLEN];

	if (next_rand(x) % 3 != 0) {
		bits = 8 + (unsigned)(next_rand(x) % 25);
		a = (u128)0xffff << 32 | (a & 0xffffffffu);
		n.lo = a & mask_of(96 + bits);
		n.hi = n.lo | ~mask_of(96 + bits);
		snprintf(text, size, "%u.%u.%u.%u/%u", (unsigned)(n.lo >> 24) &
		    255, (unsigned)(n.lo >> 16) & 255, (unsigned)(n.lo >> 8) &
		    255, (unsigned)n.lo & 255, bits);
		return n;
	}
	bits = 16 + (unsigned)(next_rand(x) % 113);
	n.lo = a & mask_of(bits);
	n.hi = n.lo | ~mask_of(bits);
	for (int i = 0; i < 16; i++)
		b[i] = (unsigned char)(n.lo >> (120 - 8 * i));
	inet_ntop(AF_INET6, b, s, sizeof(s));
	snprintf(text, size, "%s/%u", s, bits);
	return n;
}

/* The set's answer for the address a (IPv4 ones asked as AF_INET). */
static bool
match_u128(const struct lb_patset *set, u128 a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	if (a >> 32 == 0xffff) {
		sin.sin_addr.s_addr = htonl((uint32_t)a);
		return lb_patset_match_ip(set, (struct sockaddr *)&sin);
	}
	for (int i = 0; i < 16; i++)
		sin6.sin6_addr.s6_addr[i] = (unsigned char)(a >> (120 - 8 * i));
	return lb_patset_match_ip(set, (struct sockaddr *)&sin6);
}

static void
check_addr(const struct lb_patset *set, const struct net *nets, size_t n,
    u128 a)
{
	bool want = false;

	for (size_t i = 0; i < n && !want; i++)
		want = a >= nets[i].lo && a <= nets[i].hi;
	if (match_u128(set, a) != want)
		fail_msg("address %016llx%016llx: set says %d",
		    (unsigned long long)(a >> 64), (unsigned long long)a,
		    !want);
}

/* Sets large enough to be indexed (and small ones, which are not), of
 * random prefixes: every net's edges and random addresses answer as a
 * scan of the prefixes does. */
static void
test_ip_random(void **state)
{
	static const size_t sizes[] = { 10, 200, 3000 };
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		struct net *nets = calloc(sizes[z], sizeof(*nets));
		struct lb_patset *set = lb_patset_new(LB_PAT_IP, false);
		char err[ERR_MAX] = "", text[80];

		assert_non_null(nets);
		for (size_t i = 0; i < sizes[z]; i++) {
			nets[i] = random_net(&x, text, sizeof(text));
			assert_int_equal(lb_patset_add(set, text,
			    strlen(text), err, sizeof(err)), 0);
		}
		assert_int_equal(lb_patset_seal(set, err, sizeof(err)), 0);
		for (size_t i = 0; i < sizes[z]; i++) {
			check_addr(set, nets, sizes[z], nets[i].lo - 1);
			check_addr(set, nets, sizes[z], nets[i].lo);
			check_addr(set, nets, sizes[z], nets[i].hi);
			check_addr(set, nets, sizes[z], nets[i].hi + 1);
		}
		for (int i = 0; i < 20000; i++) {
			u128 a = (u128)next_rand(&x) << 64 | next_rand(&x);

			check_addr(set, nets, sizes[z], a);
			check_addr(set, nets, sizes[z],
			    (u128)0xffff << 32 | (a & 0xffffffffu));
		}
		lb_patset_free(&set);
		free(nets);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_beg_end),
		cmocka_unit_test(test_empty_patterns),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_sub_places),
		cmocka_unit_test(test_sub_fold),
		cmocka_unit_test(test_sub_vec),
		cmocka_unit_test(test_reg_literal),
		cmocka_unit_test(test_reg),
		cmocka_unit_test(test_dom),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_int_errors),
		cmocka_unit_test(test_ip_v4),
		cmocka_unit_test(test_ip_v6),
		cmocka_unit_test(test_ip_edges),
		cmocka_unit_test(test_ip_errors),
		cmocka_unit_test(test_reg_errors),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_str),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_casts),
		cmocka_unit_test(test_big_str),
		cmocka_unit_test(test_big_ip),
		cmocka_unit_test(test_ip_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
