/*
 * tests/unit/lb/test_rule_conv.c - lb/rule_conv.c: every converter
 * against HAProxy's definitions (configuration manual 7.3.1, the
 * examples of field and regsub word for word), HAProxy's quoting of
 * arguments, map files (comments, blanks, CRLF, duplicate keys, a file
 * that could not be read, 100,000 lines), results that do not fit in the
 * caller's buffer (and nothing written past it), where a chain ends in
 * %[...], the map files a chain names, and every error message word for
 * word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_conv.h"
#include "rule_run.h"

#define ERR_MAX		512
#define BUF_MAX		512
#define CANARY		0xa5
#define BIG		100000

static const char hosts_map[] =
    "# hosts to pools\n"
    "\n"
    "   \n"
    "example.com   pool-a\n"
    "\twww.example.com\tpool-b   \t\n"
    "api.example.com pool c with spaces  \r\n"
    "  # an indented comment\n"
    "empty.example.com\n"
    "example.com pool-dup\n"
    "crlf.example.com\r\n"
    "blank.example.com    \n"
    "last.example.com pool-last";

static char *big_map;
static struct lb_rule_file files[3];

/* hosts.map, unread.map (which the master could not read) and the
 * 100,000 lines of big.map: "k000000 v000000" ... */
static int
setup(void **state)
{
	size_t len = 0, cap = (size_t)BIG * 16 + 1;

	(void)state;
	if ((big_map = malloc(cap)) == NULL)
		return -1;
	for (int i = 0; i < BIG; i++)
		len += (size_t)snprintf(big_map + len, cap - len,
		    "k%06d v%06d\n", i, i);
	files[0] = (struct lb_rule_file){ "hosts.map", hosts_map,
		sizeof(hosts_map) - 1 };
	files[1] = (struct lb_rule_file){ "unread.map", NULL, 0 };
	files[2] = (struct lb_rule_file){ "big.map", big_map, len };
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(big_map);
	lb_conv_thread_done();
	return 0;
}

static struct lb_conv_chain *
compiled(const char *text)
{
	struct lb_conv_chain *c = NULL;
	char err[ERR_MAX] = "";

	if (lb_conv_compile(text, strlen(text), files, 3, &c, err,
	    sizeof(err)) < 0)
		fail_msg("\"%s\" refused: %s", text, err);
	assert_non_null(c);
	return c;
}

/*
 * Runs chain on in[0..inlen) with bufsize bytes of a larger buffer, and
 * checks that the bytes past bufsize are untouched.  Returns the result
 * (NUL-terminated, in a static buffer) or NULL when absent.
 */
static const char *
run_n(const char *chain, const char *in, size_t inlen, size_t bufsize,
    size_t *outlen)
{
	static char result[BUF_MAX + 1];
	struct lb_conv_chain *c = compiled(chain);
	unsigned char buf[BUF_MAX + 64];
	const char *out = NULL;
	size_t n = 0;
	bool ok;

	assert_true(bufsize <= BUF_MAX);
	memset(buf, CANARY, sizeof(buf));
	ok = lb_conv_run(c, in, inlen, (char *)buf, bufsize, &out, &n);
	for (size_t i = bufsize; i < sizeof(buf); i++)
		if (buf[i] != CANARY)
			fail_msg("\"%s\" wrote at %zu past %zu", chain, i,
			    bufsize);
	if (ok) {
		/* a map value lives as long as the chain */
		assert_true(n <= BUF_MAX);
		memcpy(result, out, n);
		result[n] = '\0';
		if (outlen != NULL)
			*outlen = n;
	}
	lb_conv_free(&c);
	assert_null(c);
	return ok ? result : NULL;
}

static const char *
run_sized(const char *chain, const char *in, size_t bufsize)
{
	return run_n(chain, in, strlen(in), bufsize, NULL);
}

static const char *
run(const char *chain, const char *in)
{
	return run_sized(chain, in, 256);
}

#define assert_conv(chain, in, want) \
	assert_string_equal(run(chain, in), want)
#define assert_absent(chain, in) \
	assert_null(run(chain, in))

/* The message text gets. */
static void
refused_n(const char *text, size_t len, const char *want)
{
	struct lb_conv_chain *c = (struct lb_conv_chain *)&c;
	char err[ERR_MAX] = "";

	assert_int_equal(lb_conv_compile(text, len, files, 3, &c, err,
	    sizeof(err)), -1);
	assert_null(c);
	assert_string_equal(err, want);
}

static void
refused(const char *text, const char *want)
{
	refused_n(text, strlen(text), want);
}

static void
test_case(void **state)
{
	(void)state;
	assert_conv(",lower", "HeLLo-World_1", "hello-world_1");
	assert_conv(",upper", "HeLLo-World_1", "HELLO-WORLD_1");
	assert_conv(",lower,upper", "aBc", "ABC");
	assert_conv(",upper,lower", "aBc", "abc");
	assert_conv(",lower", "", "");
	/* ASCII only: other bytes stay */
	assert_conv(",upper", "\xc3\xa9t\xc3\xa9", "\xc3\xa9T\xc3\xa9");
}

static void
test_base64(void **state)
{
	size_t n;

	(void)state;
	/* RFC 4648, 10 */
	assert_conv(",base64", "", "");
	assert_conv(",base64", "f", "Zg==");
	assert_conv(",base64", "fo", "Zm8=");
	assert_conv(",base64", "foo", "Zm9v");
	assert_conv(",base64", "foob", "Zm9vYg==");
	assert_conv(",base64", "fooba", "Zm9vYmE=");
	assert_conv(",base64", "foobar", "Zm9vYmFy");
	assert_string_equal(run_n(",base64", "\xff\xfe\x00", 3, 64, &n),
	    "//4A");
	assert_conv(",base64", "\xfb\xff", "+/8=");
	/* a sample in the buffer already: encoded in place */
	assert_conv(",upper,base64", "foobar", "Rk9PQkFS");
	assert_conv(",base64,base64", "foo", "Wm05dg==");
	assert_conv(",base64,lower", "foo", "zm9v");
}

static void
test_field(void **state)
{
	const char *s = "f1_f2_f3__f5";

	(void)state;
	/* the manual's examples */
	assert_conv(",field(4,_)", s, "");
	assert_conv(",field(5,_)", s, "f5");
	assert_conv(",field(2,_,0)", s, "f2_f3__f5");
	assert_conv(",field(2,_,2)", s, "f2_f3");
	assert_conv(",field(-2,_,3)", s, "f2_f3_");
	assert_conv(",field(-3,_,0)", s, "f1_f2_f3");
	/* ends, and past them */
	assert_conv(",field(1,_)", s, "f1");
	assert_conv(",field(-1,_)", s, "f5");
	assert_conv(",field(-5,_)", s, "f1");
	assert_conv(",field(-4,_,1)", s, "f2");
	assert_conv(",field(+3,_)", s, "f3");
	assert_absent(",field(6,_)", s);
	assert_absent(",field(-6,_)", s);
	assert_absent(",field(9223372036854775807,_)", s);
	assert_absent(",field(-9223372036854775808,_)", s);
	assert_conv(",field(2,_,10)", s, "f2_f3__f5");
	assert_conv(",field(-2,_,10)", s, "f1_f2_f3_");
	assert_conv(",field(1,_,0)", s, s);
	/* empty fields, and the empty sample: one empty field */
	assert_conv(",field(2,_)", "__", "");
	assert_conv(",field(3,_)", "__", "");
	assert_absent(",field(4,_)", "__");
	assert_conv(",field(1,_)", "", "");
	assert_conv(",field(-1,_)", "", "");
	assert_absent(",field(2,_)", "");
	assert_conv(",field(1,_)", "nodelim", "nodelim");
	/* any byte of DELIMITERS; quoted and escaped ones */
	assert_conv(",field(3,:/)", "a:b/c", "c");
	assert_conv(",field(2,',')", "a,b,c", "b");
	assert_conv(",field(2,\",\",2)", "a,b,c", "b,c");
	assert_conv(",field(2,\\ )", "a b", "b");
	assert_conv(",field(2,\"\\t\")", "a\tb", "b");
	/* the brief's Host */
	assert_conv(",field(1,:),lower", "WWW.Example.COM:443",
	    "www.example.com");
	assert_conv(",lower,field(2,.)", "WWW.Example.COM", "example");
}

static void
test_regsub(void **state)
{
	(void)state;
	assert_conv(",regsub(a,b)", "banana", "bbnana");
	assert_conv(",regsub(a,b,g)", "banana", "bbnbnb");
	assert_conv(",regsub(A,b)", "banana", "banana");
	assert_conv(",regsub(A,b,i)", "banana", "bbnana");
	assert_conv(",regsub(A,b,gi)", "banana", "bbnbnb");
	assert_conv(",regsub(A,b,ig)", "banana", "bbnbnb");
	assert_conv(",regsub(x,y)", "", "");
	assert_conv(",regsub(^$,empty)", "", "empty");
	/* the manual's examples, as the rule lexer leaves them */
	assert_conv(",regsub('/+','/','g')", "/////a///b/c/xzxyz/",
	    "/a/b/c/xzxyz/");
	assert_conv(",regsub([?;&]*,'')", "?;&a=1&b", "a=1&b");
	assert_conv(",regsub(\"(foo|bar)([0-9]+)?\",\"\\2\\1\",i)",
	    "/FOO12/bar3", "/12FOO/bar3");
	assert_conv(",regsub(\"(foo|bar)([0-9]+)?\",\"\\2\\1\",ig)",
	    "/FOO12/bar3", "/12FOO/3bar");
	/* \0, an unset group, \xHH, \\ */
	assert_conv(",regsub('[0-9]+','<\\0>',g)", "a1b22", "a<1>b<22>");
	assert_conv(",regsub('(x)?b','[\\1]')", "ab", "a[]");
	assert_conv(",regsub(-,'\\x41\\\\.',g)", "a-b", "aA\\.b");
	assert_conv(",regsub(-,'\\q')", "a-b", "aqb");
	/* more groups than \9 reaches */
	assert_conv(",regsub('(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)',"
	    "'\\9\\1')", "abcdefghijk!", "ia!");
	/* s///g as Perl: empty matches, ^, lookbehind */
	assert_conv(",regsub(x*,S,g)", "abxc", "SaSbSScS");
	assert_conv(",regsub(x*,S)", "abxc", "Sabxc");
	assert_conv(",regsub(^a,X,g)", "aaa", "Xaa");
	assert_conv(",regsub('(?<=a)b',X,g)", "abab", "aXaX");
	assert_conv(",regsub('$',!,g)", "ab", "ab!");
	/* its input in the buffer already */
	assert_conv(",lower,regsub(b,XY,g)", "ABAB", "aXYaXY");
	assert_conv(",regsub(b,B,g),regsub(a,A,g)", "abab", "ABAB");
	/* a regex that fails to run (match limit): absent */
	assert_absent(",regsub('(a+)+$',x)", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
	/* each thread's match data, freed and made again */
	lb_conv_thread_done();
	lb_conv_thread_done();
	assert_conv(",regsub(a,b)", "a", "b");
}

static void
test_ipmask(void **state)
{
	(void)state;
	assert_conv(",ipmask(24)", "192.168.1.77", "192.168.1.0");
	assert_conv(",ipmask(23)", "10.0.1.255", "10.0.0.0");
	assert_conv(",ipmask(25)", "10.0.0.200", "10.0.0.128");
	assert_conv(",ipmask(255.255.0.0)", "192.168.1.77", "192.168.0.0");
	assert_conv(",ipmask(255.0.255.0)", "192.168.1.77", "192.0.1.0");
	assert_conv(",ipmask(0)", "192.168.1.77", "0.0.0.0");
	assert_conv(",ipmask(32)", "192.168.1.77", "192.168.1.77");
	assert_conv(",ipmask(24,64)", "2001:db8:1:2:3:4:5:6",
	    "2001:db8:1:2::");
	assert_conv(",ipmask(24,ffff:ffff::)", "2001:db8:1:2::1",
	    "2001:db8::");
	assert_conv(",ipmask(24,0)", "2001:db8::1", "::");
	assert_conv(",ipmask(24,128)", "2001:db8::1", "2001:db8::1");
	assert_conv(",ipmask(24,127)", "2001:db8::1", "2001:db8::");
	assert_conv(",ipmask(24,121)", "2001:db8::ff", "2001:db8::80");
	/* IPv6 without MASK6: absent, as in HAProxy */
	assert_absent(",ipmask(24)", "2001:db8::1");
	/* IPv4-mapped: an IPv4 address */
	assert_conv(",ipmask(8)", "::ffff:10.1.2.3", "10.0.0.0");
	assert_conv(",ipmask(8,64)", "::ffff:10.1.2.3", "10.0.0.0");
	/* no address */
	assert_absent(",ipmask(24)", "not-an-ip");
	assert_absent(",ipmask(24,64)", "192.168.1.1:80");
	assert_absent(",ipmask(24,64)", "[2001:db8::1]");
	assert_absent(",ipmask(24)", "");
	assert_absent(",ipmask(24)", "1111111111111111111111111111111111111"
	    "11111111111111111111111111111111111111111111111111");
	assert_null(run_n(",ipmask(24)", "10.0.0.1\0x", 10, 64, NULL));
	/* after field, and into another converter */
	assert_conv(",field(1,\\ ),ipmask(16)", "10.1.2.3 x", "10.1.0.0");
	assert_conv(",ipmask(16),base64", "10.1.2.3", "MTAuMS4wLjA=");
}

static void
test_map(void **state)
{
	(void)state;
	assert_conv(",map(hosts.map)", "example.com", "pool-a");
	assert_conv(",map(hosts.map)", "www.example.com", "pool-b");
	assert_conv(",map(hosts.map)", "api.example.com",
	    "pool c with spaces");
	assert_conv(",map(hosts.map)", "empty.example.com", "");
	assert_conv(",map(hosts.map)", "crlf.example.com", "");
	assert_conv(",map(hosts.map)", "blank.example.com", "");
	assert_conv(",map(hosts.map)", "last.example.com", "pool-last");
	assert_conv(",map_str(hosts.map)", "example.com", "pool-a");
	/* exact: case, blanks, comments are no keys */
	assert_absent(",map(hosts.map)", "Example.com");
	assert_absent(",map(hosts.map)", "example.com ");
	assert_absent(",map(hosts.map)", "example");
	assert_absent(",map(hosts.map)", "#");
	assert_absent(",map(hosts.map)", "");
	assert_conv(",lower,map(hosts.map)", "EXAMPLE.com", "pool-a");
	/* DEFAULT, empty too */
	assert_conv(",map(hosts.map,other)", "nope", "other");
	assert_conv(",map(hosts.map,'a pool')", "nope", "a pool");
	assert_conv(",map(hosts.map,)", "nope", "");
	assert_conv(",map(hosts.map,other)", "example.com", "pool-a");
	/* a file the master could not read: an empty map */
	assert_absent(",map(unread.map)", "example.com");
	assert_conv(",map(unread.map,dflt)", "example.com", "dflt");
	/* its value into further converters */
	assert_conv(",map(hosts.map),upper", "example.com", "POOL-A");
	assert_conv(",map(hosts.map),field(2,-)", "example.com", "a");
	assert_conv(",map(hosts.map),map(hosts.map,x)", "example.com", "x");
}

static void
test_map_big(void **state)
{
	struct lb_conv_chain *c = compiled(",map(big.map)");
	char key[16], want[16], buf[8];
	const char *out;
	size_t n;

	(void)state;
	for (int i = 0; i < BIG; i += 997) {
		snprintf(key, sizeof(key), "k%06d", i);
		snprintf(want, sizeof(want), "v%06d", i);
		assert_true(lb_conv_run(c, key, 7, buf, sizeof(buf), &out,
		    &n));
		assert_int_equal(n, 7);
		assert_memory_equal(out, want, 7);
	}
	assert_true(lb_conv_run(c, "k099999", 7, buf, 0, &out, &n));
	assert_memory_equal(out, "v099999", 7);
	assert_false(lb_conv_run(c, "k100000", 7, buf, sizeof(buf), &out,
	    &n));
	assert_false(lb_conv_run(c, "k00000", 6, buf, sizeof(buf), &out,
	    &n));
	assert_false(lb_conv_run(c, "v000001", 7, buf, sizeof(buf), &out,
	    &n));
	lb_conv_free(&c);
}

/* A result one byte too long for the buffer is absent, and nothing is
 * written past it (run_n checks the bytes after bufsize). */
static void
test_fit(void **state)
{
	(void)state;
	assert_string_equal(run_sized(",lower", "ABCDEF", 6), "abcdef");
	assert_null(run_sized(",lower", "ABCDEF", 5));
	assert_string_equal(run_sized(",lower", "", 0), "");
	assert_string_equal(run_sized(",base64", "foo", 4), "Zm9v");
	assert_null(run_sized(",base64", "foo", 3));
	assert_null(run_sized(",base64", "f", 3));
	/* in place, exactly: 6 bytes at the end of 8 become 8 */
	assert_string_equal(run_sized(",upper,base64", "foobar", 8),
	    "Rk9PQkFS");
	assert_null(run_sized(",upper,base64", "foobar", 7));
	assert_string_equal(run_sized(",regsub(a,aaaa,g)", "aaa", 12),
	    "aaaaaaaaaaaa");
	assert_null(run_sized(",regsub(a,aaaa,g)", "aaa", 11));
	assert_null(run_sized(",regsub(a,b)", "xxa", 2));
	/* regsub on a sample in the buffer: room for both */
	assert_string_equal(run_sized(",lower,regsub(b,XY,g)", "AB", 5),
	    "aXY");
	assert_null(run_sized(",lower,regsub(b,XY,g)", "AB", 4));
	assert_string_equal(run_sized(",ipmask(24)", "192.168.1.77", 11),
	    "192.168.1.0");
	assert_null(run_sized(",ipmask(24)", "192.168.1.77", 10));
	/* what writes nothing needs no buffer */
	assert_string_equal(run_sized(",field(2,.)", "a.b", 0), "b");
	assert_string_equal(run_sized(",map(hosts.map)", "example.com", 0),
	    "pool-a");
	assert_string_equal(run_sized(",regsub(x,y)", "abc", 0), "abc");
	assert_string_equal(run_sized("", "abc", 0), "abc");
}

static void
test_syntax(void **state)
{
	struct lb_conv_chain *c;
	const char *in = "abc", *out;
	size_t n;
	char buf[8];

	(void)state;
	/* no converter: the sample itself */
	c = compiled("");
	assert_int_equal(lb_conv_count(c), 0);
	assert_true(lb_conv_run(c, in, 3, buf, sizeof(buf), &out, &n));
	assert_ptr_equal(out, in);
	assert_int_equal(n, 3);
	lb_conv_free(&c);
	lb_conv_free(&c);
	lb_conv_free(NULL);
	/* HAProxy passes over commas in a row, and one at the end */
	c = compiled(",,lower,,upper,");
	assert_int_equal(lb_conv_count(c), 2);
	lb_conv_free(&c);
	assert_conv(",lower()", "A", "a");
	/* quotes keep ',' and ')'; backslashes as HAProxy's arguments */
	assert_conv(",regsub('a,b',\"x)y\",g)", "a,ba,b", "x)yx)y");
	assert_conv(",regsub(\"'\",\\\",g)", "a'b'", "a\"b\"");
	assert_conv(",regsub('\"',\\',g)", "a\"b", "a'b");
	assert_conv(",regsub(\\\\d,'#',g)", "a1b2", "a#b#");
	assert_conv(",regsub('\\d','#',g)", "a1b2", "a#b#");
	assert_conv(",regsub(x,\\n)", "axb", "a\nb");
	assert_conv(",regsub(x,\"\\r\")", "axb", "a\rb");
	/* strong quotes keep the backslash: SUBST's \n is then an 'n' */
	assert_conv(",regsub(x,'\\n')", "axb", "anb");
	assert_conv(",map('hosts.map')", "example.com", "pool-a");
	assert_conv(",map(hosts'.'map)", "example.com", "pool-a");
}

static void
test_span(void **state)
{
	const char *s;

	(void)state;
	assert_int_equal(lb_conv_span("", 0), 0);
	assert_int_equal(lb_conv_span("]", 1), 0);
	assert_int_equal(lb_conv_span("lower", 5), 0);
	s = ",lower]x";
	assert_int_equal(lb_conv_span(s, strlen(s)), 6);
	s = ",lower ,upper";
	assert_int_equal(lb_conv_span(s, strlen(s)), 6);
	s = ",lower,field(1,:)]";
	assert_int_equal(lb_conv_span(s, strlen(s)), strlen(s) - 1);
	s = ",regsub('[a]',x)]";
	assert_int_equal(lb_conv_span(s, strlen(s)), strlen(s) - 1);
	s = ",regsub(\"]\\\")\",x),lower] %[src]";
	assert_int_equal(lb_conv_span(s, strlen(s)), strlen(s) - 8);
	s = ",,lower,]";
	assert_int_equal(lb_conv_span(s, strlen(s)), strlen(s) - 1);
	s = ",field(1,:]";
	assert_int_equal(lb_conv_span(s, strlen(s)), strlen(s));
	s = ",regsub('a)]";
	assert_int_equal(lb_conv_span(s, strlen(s)), strlen(s));
	/* the span compiles */
	s = ",regsub('[a]',x,g),upper]rest";
	{
		struct lb_conv_chain *c = NULL;
		char err[ERR_MAX], buf[16];
		const char *out;
		size_t n;

		assert_int_equal(lb_conv_compile(s, lb_conv_span(s,
		    strlen(s)), files, 3, &c, err, sizeof(err)), 0);
		assert_true(lb_conv_run(c, "banana", 6, buf, sizeof(buf), &out,
		    &n));
		assert_memory_equal(out, "BXNXNX", 6);
		lb_conv_free(&c);
	}
}

struct seen {
	char paths[8][32];
	int n;
	int stop_at;		/* the call that returns 7, 0: none */
};

static int
collect(const char *path, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s", path);
	return s->n == s->stop_at ? 7 : 0;
}

static struct seen
files_of(const char *text, int stop_at, int want_rc)
{
	struct seen s = { .stop_at = stop_at };

	assert_int_equal(lb_conv_files(text, strlen(text), collect, &s),
	    want_rc);
	return s;
}

static void
test_files(void **state)
{
	struct seen s;

	(void)state;
	s = files_of(",lower,map(a.map),map_str('b c.map',x),map(a.map)", 0,
	    0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.paths[0], "a.map");
	assert_string_equal(s.paths[1], "b c.map");
	assert_string_equal(s.paths[2], "a.map");
	/* fn's answer stops the walk */
	s = files_of(",map(a.map),map(b.map),map(c.map)", 2, 7);
	assert_int_equal(s.n, 2);
	/* none, an empty FILE, and text that stops parsing */
	s = files_of("", 0, 0);
	assert_int_equal(s.n, 0);
	s = files_of(",map(),map(''),lower,field(1,:)", 0, 0);
	assert_int_equal(s.n, 0);
	s = files_of(",map(a.map),lower x,map(c.map)", 0, 0);
	assert_int_equal(s.n, 1);
	s = files_of(",map(a.map),map('c.map", 0, 0);
	assert_int_equal(s.n, 1);
	s = files_of(",map(x.map),nomap(y.map),map(z.map)", 0, 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.paths[0], "x.map");
}

static void
test_errors_syntax(void **state)
{
	(void)state;
	refused_n(",lower\0", 7, "a NUL byte in the converters");
	refused("lower", "expected ',' before the first converter, found "
	    "'lower'");
	refused(",lower x", "converter 'lower' must be followed by ',' or "
	    "the end, not ' x'");
	refused(",field(1,:)x", "converter 'field' must be followed by ',' "
	    "or the end, not 'x'");
	refused(",lower\x01", "converter 'lower' must be followed by ',' or "
	    "the end, not '\\x01'");
	refused(",(1)", "expected a converter name after ',', found '(1)'");
	refused(",regsub('a,b)", "converter 'regsub': unterminated quote in "
	    "its arguments");
	refused(",regsub(\"a,b)", "converter 'regsub': unterminated quote in "
	    "its arguments");
	refused(",field(1,:", "converter 'field': expected ')' after its "
	    "arguments");
	refused(",lowr", "unknown converter 'lowr'; did you mean 'lower'?");
	refused(",ipmsk(24)", "unknown converter 'ipmsk'; did you mean "
	    "'ipmask'?");
	refused(",url_dec", "unknown converter 'url_dec'; edged has lower, "
	    "upper, base64, field, regsub, ipmask and map");
	refused(",Lower", "unknown converter 'Lower'; did you mean 'lower'?");
	refused(",lower(1)", "converter 'lower' takes no arguments");
	refused(",base64(,)", "converter 'base64' takes no arguments");
	refused(",field(1)", "converter 'field' takes 2 or 3 arguments, not "
	    "1: field(INDEX,DELIMITERS[,COUNT])");
	refused(",field", "converter 'field' takes 2 or 3 arguments, not 0: "
	    "field(INDEX,DELIMITERS[,COUNT])");
	refused(",ipmask", "converter 'ipmask' takes 1 or 2 arguments, not "
	    "0: ipmask(MASK4[,MASK6])");
	refused(",regsub(a,b,g,x,y)", "converter 'regsub' takes 2 or 3 "
	    "arguments, not 5: regsub(REGEX,SUBST[,FLAGS])");
	refused(",map(a,b,c)", "converter 'map' takes 1 or 2 arguments, not "
	    "3: map(FILE[,DEFAULT])");
	refused(",map_str()", "converter 'map_str' takes 1 or 2 arguments, "
	    "not 0: map_str(FILE[,DEFAULT])");
	/* the first error, after converters that compiled */
	refused(",lower,upper,lowr,field(0,:)", "unknown converter 'lowr'; "
	    "did you mean 'lower'?");
	/* an unknown name before its arguments, as HAProxy */
	refused(",url_dec('x", "unknown converter 'url_dec'; edged has "
	    "lower, upper, base64, field, regsub, ipmask and map");
}

static void
test_errors_args(void **state)
{
	(void)state;
	refused(",field(x,:)", "converter 'field': INDEX 'x' is not an "
	    "integer");
	refused(",field(,:)", "converter 'field': INDEX '' is not an "
	    "integer");
	refused(",field(9223372036854775808,:)", "converter 'field': INDEX "
	    "'9223372036854775808' is not an integer");
	refused(",field(0,:)", "converter 'field': INDEX may not be 0 "
	    "(fields count from 1, or from -1 at the end)");
	refused(",field(1,)", "converter 'field': DELIMITERS is empty");
	refused(",field(1,:,x)", "converter 'field': COUNT 'x' is not an "
	    "integer");
	refused(",field(1,:,-1)", "converter 'field': COUNT -1 is negative "
	    "(0 takes every field to the end)");
	refused(",regsub(a,b,gx)", "converter 'regsub': unknown flag 'x' in "
	    "FLAGS (it takes i and g)");
	refused(",regsub(a,b,G)", "converter 'regsub': unknown flag 'G' in "
	    "FLAGS (it takes i and g)");
	refused(",regsub('(',b)", "converter 'regsub': REGEX '(' is not a "
	    "valid regex: missing closing parenthesis (at byte 1)");
	refused(",regsub(a,'b\\')", "converter 'regsub': SUBST ends in a "
	    "lone '\\'");
	refused(",regsub(a,'\\xg1')", "converter 'regsub': '\\x' in SUBST "
	    "needs two hex digits");
	refused(",regsub(a,'\\x4')", "converter 'regsub': '\\x' in SUBST "
	    "needs two hex digits");
	refused(",regsub('(a)(b)','\\3')", "converter 'regsub': SUBST names "
	    "\\3 but the regex has 2 groups");
	refused(",regsub('(a)','\\2')", "converter 'regsub': SUBST names \\2 "
	    "but the regex has 1 group");
	refused(",regsub(a,'\\1')", "converter 'regsub': SUBST names \\1 but "
	    "the regex has 0 groups");
	refused(",ipmask(33)", "converter 'ipmask': MASK4 '33' is not a "
	    "prefix length (0 to 32) or a dotted mask");
	refused(",ipmask(255.255.0)", "converter 'ipmask': MASK4 "
	    "'255.255.0' is not a prefix length (0 to 32) or a dotted mask");
	refused(",ipmask(+24)", "converter 'ipmask': MASK4 '+24' is not a "
	    "prefix length (0 to 32) or a dotted mask");
	refused(",ipmask('')", "converter 'ipmask': MASK4 '' is not a "
	    "prefix length (0 to 32) or a dotted mask");
	refused(",ipmask(24,129)", "converter 'ipmask': MASK6 '129' is not a "
	    "prefix length (0 to 128) or an IPv6 mask");
	refused(",ipmask(24,ffff::ffff::)", "converter 'ipmask': MASK6 "
	    "'ffff::ffff::' is not a prefix length (0 to 128) or an IPv6 "
	    "mask");
	refused(",map('')", "converter 'map': FILE is empty");
	refused(",map(,x)", "converter 'map': FILE is empty");
	refused(",map(nope.map)", "converter 'map': file 'nope.map' was not "
	    "read");
}

/* Long words are cut in messages, and a message is cut to errsize. */
static void
test_errors_cut(void **state)
{
	struct lb_conv_chain *c = NULL;
	char err[8];
	const char *t = ",url_dec";

	(void)state;
	refused(",field(1,:)0123456789012345678901234567890123456789"
	    "0123456789", "converter 'field' must be followed by ',' or the "
	    "end, not '012345678901234567890123456789012345678901234567...'");
	memset(err, 'x', sizeof(err));
	assert_int_equal(lb_conv_compile(t, strlen(t), files, 3, &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "unknown");
	assert_null(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_regsub),
		cmocka_unit_test(test_ipmask),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_big),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_errors_syntax),
		cmocka_unit_test(test_errors_args),
		cmocka_unit_test(test_errors_cut),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
