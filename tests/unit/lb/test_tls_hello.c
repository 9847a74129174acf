/*
 * tests/unit/lb/test_tls_hello.c - lb/tls_hello.c: the ClientHello of SSL
 * passthrough, on hellos captured from real clients (OpenSSL, curl,
 * GnuTLS, Python), hellos derived from them (fragmented, with ECH,
 * GREASE, ...) and hostile ones: tests/unit/lb/hello/, made by its
 * capture.sh and listed in its README.md.
 *
 * Each input is parsed from a heap block of exactly its length, so that a
 * sanitizer or valgrind sees any read past it.
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

#include "tls_hello.h"

/* __FILE__ is the path the compiler was given, relative to the build
 * directory, where meson runs the tests; EDGED_HELLO_DIR overrides. */
#define HELLO_DIR_DEFAULT	"hello"
#define HELLO_FILE_MAX		(64 * 1024)
#define MAX_16K			16384
#ifndef FUZZ_ROUNDS
#define FUZZ_ROUNDS		4000	/* -DFUZZ_ROUNDS=... for a longer run */
#endif

struct fixture {
	uint8_t *buf;
	size_t len;
};

/* A valid hello and what it must say. */
struct good {
	const char *name;
	const char *sni;		/* "": none */
	uint16_t max_version;
	bool tls13;
	bool ech;
	const char *alpn;		/* protocols, comma-separated; NULL:
					 * no ALPN */
};

/* A hostile hello and the answer it must get. */
struct bad {
	const char *name;
	enum lb_hello_result want;
};

static const struct good captures[] = {
	{ "openssl-tls12-sni", "app.example.com", 0x0303, false, false, NULL },
	{ "openssl-tls12-nosni", "", 0x0303, false, false, NULL },
	{ "openssl-tls13-sni", "app.example.com", 0x0304, true, false, NULL },
	{ "openssl-tls13-nosni", "", 0x0304, true, false, NULL },
	{ "openssl-alpn", "app.example.com", 0x0304, true, false,
	    "h2,http/1.1" },
	{ "openssl-upper-dot", "app.example.com", 0x0304, true, false, NULL },
	{ "openssl-resume", "app.example.com", 0x0304, true, false, NULL },
	{ "curl", "app.example.com", 0x0304, true, false, "h2,http/1.1" },
	{ "gnutls-wget", "localhost", 0x0304, true, false, NULL },
	{ "python", "python.example.org", 0x0304, true, false, "http/1.1" },
};

static const struct good derived[] = {
	{ "frag-2", "app.example.com", 0x0304, true, false, "h2,http/1.1" },
	{ "frag-3", "app.example.com", 0x0304, true, false, "h2,http/1.1" },
	{ "frag-header", "app.example.com", 0x0304, true, false,
	    "h2,http/1.1" },
	{ "frag-sni", "app.example.com", 0x0304, true, false, "h2,http/1.1" },
	{ "frag-bytes", "app.example.com", 0x0304, true, false,
	    "h2,http/1.1" },
	{ "ech", "app.example.com", 0x0304, true, true, "h2,http/1.1" },
	{ "ech-frag", "app.example.com", 0x0304, true, true, "h2,http/1.1" },
	{ "grease", "app.example.com", 0x0304, true, false, "h2,http/1.1" },
	{ "tls12-noext", "", 0x0303, false, false, NULL },
	{ "tls12-emptyext", "", 0x0303, false, false, NULL },
	{ "exts-128", "", 0x0303, false, false, NULL },
	{ "sni-idn", "xn--caf-dma.example.com", 0x0304, true, false,
	    "h2,http/1.1" },
	{ "sni-digits", "1-2.3a.example", 0x0304, true, false,
	    "h2,http/1.1" },
};

static const struct bad hostile[] = {
	/* not TLS at all */
	{ "http", LB_HELLO_NOT_TLS },
	{ "sslv2", LB_HELLO_NOT_TLS },
	{ "record-alert", LB_HELLO_NOT_TLS },
	/* records */
	{ "record-4001", LB_HELLO_BAD },
	{ "record-empty-first", LB_HELLO_BAD },
	{ "record-appdata-second", LB_HELLO_BAD },
	{ "record-version", LB_HELLO_BAD },
	{ "record-version-second", LB_HELLO_BAD },
	/* the handshake message */
	{ "hs-server-hello", LB_HELLO_BAD },
	{ "hs-trailing", LB_HELLO_BAD },
	{ "hs-legacy-version", LB_HELLO_BAD },
	{ "compression-no-null", LB_HELLO_BAD },
	/* extensions */
	{ "ext-dup-groups", LB_HELLO_BAD },
	{ "ext-dup-unknown", LB_HELLO_BAD },
	{ "exts-129", LB_HELLO_BAD },
	{ "psk-not-last", LB_HELLO_BAD },
	{ "versions-empty", LB_HELLO_BAD },
	{ "versions-odd", LB_HELLO_BAD },
	{ "alpn-empty-name", LB_HELLO_BAD },
	{ "alpn-empty-list", LB_HELLO_BAD },
	/* server_name: its shape, then the name itself */
	{ "sni-dup-ext", LB_HELLO_BAD },
	{ "sni-two-names", LB_HELLO_BAD },
	{ "sni-two-types", LB_HELLO_BAD },
	{ "sni-type1", LB_HELLO_BAD },
	{ "sni-empty-name", LB_HELLO_BAD },
	{ "sni-empty-list", LB_HELLO_BAD },
	{ "sni-ext-empty", LB_HELLO_BAD },
	{ "sni-nul", LB_HELLO_BAD },
	{ "sni-space", LB_HELLO_BAD },
	{ "sni-empty-label", LB_HELLO_BAD },
	{ "sni-leading-dot", LB_HELLO_BAD },
	{ "sni-dot", LB_HELLO_BAD },
	{ "sni-two-dots", LB_HELLO_BAD },
	{ "sni-hyphen-start", LB_HELLO_BAD },
	{ "sni-hyphen-end", LB_HELLO_BAD },
	{ "sni-hyphen-last", LB_HELLO_BAD },
	{ "sni-label-64", LB_HELLO_BAD },
	{ "sni-254", LB_HELLO_BAD },
	{ "sni-underscore", LB_HELLO_BAD },
	{ "sni-utf8", LB_HELLO_BAD },
};

/* The length fields derive.py changes in curl.bin (len-FIELD-HOW.bin). */
static const char *const length_fields[] = {
	"record", "handshake", "session-id", "cipher-suites", "compression",
	"extensions", "ext-sni", "sni-list", "sni-name", "ext-alpn",
	"alpn-list", "alpn-name", "ext-versions", "versions-list",
	"ext-keyshare", "ext-last",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
hello_dir(void)
{
	static char dir[512];
	const char *env = getenv("EDGED_HELLO_DIR");
	const char *slash = strrchr(__FILE__, '/');

	if (env != NULL)
		return env;
	if (slash == NULL)
		return HELLO_DIR_DEFAULT;
	snprintf(dir, sizeof(dir), "%.*s/%s", (int)(slash - __FILE__),
	    __FILE__, HELLO_DIR_DEFAULT);
	return dir;
}

/* Reads hello/NAME.bin into a block of exactly its length. */
static struct fixture
fixture_load(const char *name)
{
	struct fixture f;
	uint8_t *tmp = malloc(HELLO_FILE_MAX);
	char path[1024];
	FILE *fp;

	assert_non_null(tmp);
	snprintf(path, sizeof(path), "%s/%s.bin", hello_dir(), name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s (run from the build directory, or "
		    "set EDGED_HELLO_DIR)", path);
	f.len = fread(tmp, 1, HELLO_FILE_MAX, fp);
	assert_true(f.len > 0 && f.len < HELLO_FILE_MAX);
	fclose(fp);
	f.buf = malloc(f.len);
	assert_non_null(f.buf);
	memcpy(f.buf, tmp, f.len);
	free(tmp);
	return f;
}

static void
fixture_free(struct fixture *f)
{
	free(f->buf);
	f->buf = NULL;
}

/* Parses the first len bytes of src from a block of exactly len bytes. */
static enum lb_hello_result
parse_exact(const uint8_t *src, size_t len, size_t max,
    struct lb_tls_hello *h)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum lb_hello_result r;

	assert_non_null(copy);
	memcpy(copy, src, len);
	r = lb_tls_hello_parse(copy, len, max, h);
	free(copy);
	return r;
}

/* The offered protocols as "a,b,c". */
static void
alpn_fmt(const struct lb_tls_hello *h, char *s, size_t size)
{
	size_t n = 0;

	s[0] = '\0';
	for (size_t i = 0; i < h->alpn_len; i += 1 + (size_t)h->alpn[i]) {
		n += (size_t)snprintf(s + n, size - n, "%s%.*s",
		    i > 0 ? "," : "", (int)h->alpn[i],
		    (const char *)h->alpn + i + 1);
		assert_true(n < size);
	}
}

static void
expect_good(const struct good *g)
{
	struct fixture f = fixture_load(g->name);
	struct lb_tls_hello h;
	enum lb_hello_result r = parse_exact(f.buf, f.len, MAX_16K, &h);
	char alpn[LB_HELLO_ALPN_MAX * 2];

	if (r != LB_HELLO_OK)
		fail_msg("%s: %s", g->name, lb_tls_hello_result_str(r));
	assert_int_equal(h.consumed, f.len);
	assert_string_equal(h.sni, g->sni);
	assert_int_equal(h.has_sni, g->sni[0] != '\0');
	assert_int_equal(h.legacy_version, 0x0303);
	assert_int_equal(h.max_version, g->max_version);
	assert_int_equal(h.tls13, g->tls13);
	assert_int_equal(h.ech, g->ech);
	assert_int_equal(h.has_alpn, g->alpn != NULL);
	assert_false(h.alpn_cut);
	alpn_fmt(&h, alpn, sizeof(alpn));
	assert_string_equal(alpn, g->alpn != NULL ? g->alpn : "");
	fixture_free(&f);
}

static void
expect_answer(const char *name, enum lb_hello_result want)
{
	struct fixture f = fixture_load(name);
	struct lb_tls_hello h;
	enum lb_hello_result r = parse_exact(f.buf, f.len, MAX_16K, &h);

	if (r != want)
		fail_msg("%s: want %s, got %s", name,
		    lb_tls_hello_result_str(want), lb_tls_hello_result_str(r));
	fixture_free(&f);
}

/*
 * Over every prefix of f: MORE, then from some length on always the
 * answer for the whole of f, which must not be MORE.  Returns the length
 * of the shortest prefix that is answered.
 */
static size_t
expect_prefixes(const char *name, const struct fixture *f, size_t max)
{
	struct lb_tls_hello h;
	enum lb_hello_result whole = parse_exact(f->buf, f->len, max, &h);
	size_t first = f->len;

	assert_int_not_equal(whole, LB_HELLO_MORE);
	for (size_t k = 0; k < f->len; k++) {
		enum lb_hello_result r = parse_exact(f->buf, k, max, &h);

		if (r == LB_HELLO_MORE && first == f->len) {
			assert_true(k < max);
			continue;
		}
		if (r != whole)
			fail_msg("%s: %zu of %zu bytes: %s, the whole: %s",
			    name, k, f->len, lb_tls_hello_result_str(r),
			    lb_tls_hello_result_str(whole));
		if (first == f->len)
			first = k;
	}
	return first;
}

static void
real_captures(void **state)
{
	(void)state;
	for (size_t i = 0; i < NITEMS(captures); i++)
		expect_good(&captures[i]);
}

static void
derived_hellos(void **state)
{
	(void)state;
	for (size_t i = 0; i < NITEMS(derived); i++)
		expect_good(&derived[i]);
}

/* Every prefix of a valid hello is MORE, even with max just enough. */
static void
every_prefix_wants_more(void **state)
{
	(void)state;
	for (size_t i = 0; i < NITEMS(captures) + NITEMS(derived); i++) {
		const struct good *g = i < NITEMS(captures) ? &captures[i] :
		    &derived[i - NITEMS(captures)];
		struct fixture f = fixture_load(g->name);

		assert_int_equal(expect_prefixes(g->name, &f, MAX_16K), f.len);
		assert_int_equal(expect_prefixes(g->name, &f, f.len), f.len);
		fixture_free(&f);
	}
}

static void
hostile_hellos(void **state)
{
	(void)state;
	for (size_t i = 0; i < NITEMS(hostile); i++)
		expect_answer(hostile[i].name, hostile[i].want);
}

/* Each length field of a real hello one more, one less, all ones. */
static void
length_fields_off(void **state)
{
	static const char *const hows[] = { "plus1", "minus1", "max" };
	char name[64];

	(void)state;
	for (size_t i = 0; i < NITEMS(length_fields); i++) {
		for (size_t j = 0; j < NITEMS(hows); j++) {
			snprintf(name, sizeof(name), "len-%s-%s",
			    length_fields[i], hows[j]);
			/* a 16 MiB message is too big before it is bad */
			expect_answer(name,
			    strcmp(name, "len-handshake-max") == 0 ?
			    LB_HELLO_TOO_BIG : LB_HELLO_BAD);
		}
	}
}

/* Where s ends in f, the first time it occurs. */
static size_t
fixture_find(const struct fixture *f, const char *s)
{
	size_t n = strlen(s);

	for (size_t k = 0; k + n <= f->len; k++) {
		if (memcmp(f->buf + k, s, n) == 0)
			return k + n;
	}
	fail_msg("no \"%s\" in the fixture", s);
	return 0;
}

/* A hostile hello is answered as soon as its bad byte is there. */
static void
hostile_answered_early(void **state)
{
	static const struct {
		const char *name;
		size_t at;		/* the shortest prefix answered */
	} early[] = {
		{ "http", 1 },
		{ "sslv2", 1 },
		{ "record-alert", 1 },
		{ "record-version", 2 },
		{ "record-4001", 5 },
		{ "record-empty-first", 5 },
		{ "len-record-max", 5 },
		{ "hs-server-hello", 6 },
		{ "len-handshake-max", 9 },
		{ "len-handshake-minus1", 9 },
		{ "len-session-id-plus1", 5 + 4 + 2 + 32 + 1 },
	};
	struct fixture f;

	(void)state;
	for (size_t i = 0; i < NITEMS(early); i++) {
		f = fixture_load(early[i].name);
		assert_int_equal(expect_prefixes(early[i].name, &f, MAX_16K),
		    early[i].at);
		fixture_free(&f);
	}
	/* "app.example.com\0.evil.example": with its NUL */
	f = fixture_load("sni-nul");
	assert_int_equal(expect_prefixes("sni-nul", &f, MAX_16K),
	    fixture_find(&f, "app.example.com") + 1);
	fixture_free(&f);
	/* two host_names: once the first is read, the list is known to
	 * hold more than one entry */
	f = fixture_load("sni-two-names");
	assert_int_equal(expect_prefixes("sni-two-names", &f, MAX_16K),
	    fixture_find(&f, "app.example.com"));
	fixture_free(&f);
}

/* Any hostile hello, cut anywhere: MORE, then always the same answer. */
static void
hostile_prefixes(void **state)
{
	char name[64];
	struct fixture f;

	(void)state;
	for (size_t i = 0; i < NITEMS(hostile); i++) {
		f = fixture_load(hostile[i].name);
		expect_prefixes(hostile[i].name, &f, MAX_16K);
		fixture_free(&f);
	}
	for (size_t i = 0; i < NITEMS(length_fields); i++) {
		snprintf(name, sizeof(name), "len-%s-plus1", length_fields[i]);
		f = fixture_load(name);
		expect_prefixes(name, &f, MAX_16K);
		fixture_free(&f);
	}
}

/* The names that are routed: lowercased, the trailing dot dropped. */
static void
sni_normal_form(void **state)
{
	static const char *const longest =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
	    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
	static const char *const names[] = { "sni-max", "sni-max-dot" };

	(void)state;
	/* and openssl-upper-dot, sent as "App.Example.COM.", above */
	assert_int_equal(strlen(longest), LB_HELLO_SNI_MAX);
	for (size_t i = 0; i < NITEMS(names); i++) {
		struct fixture f = fixture_load(names[i]);
		struct lb_tls_hello h;

		assert_int_equal(parse_exact(f.buf, f.len, MAX_16K, &h),
		    LB_HELLO_OK);
		assert_string_equal(h.sni, longest);
		fixture_free(&f);
	}
}

/* max bounds the records of the hello, as soon as they are known. */
static void
size_bound(void **state)
{
	struct fixture f = fixture_load("curl");
	struct lb_tls_hello h;

	(void)state;
	assert_int_equal(parse_exact(f.buf, f.len, f.len, &h), LB_HELLO_OK);
	assert_int_equal(parse_exact(f.buf, f.len, f.len - 1, &h),
	    LB_HELLO_TOO_BIG);
	/* the record header says so */
	assert_int_equal(expect_prefixes("curl", &f, f.len - 1), 5);
	fixture_free(&f);

	/* a hello of 20 KB in two records */
	f = fixture_load("big-2rec");
	assert_int_equal(parse_exact(f.buf, f.len, MAX_16K, &h),
	    LB_HELLO_TOO_BIG);
	assert_int_equal(expect_prefixes("big-2rec", &f, MAX_16K), 5);
	assert_int_equal(parse_exact(f.buf, f.len, 2 * MAX_16K, &h),
	    LB_HELLO_OK);
	assert_int_equal(h.consumed, f.len);
	assert_string_equal(h.sni, "app.example.com");
	fixture_free(&f);

	/* one byte a record: known too big once the hello's length and
	 * the records so far leave too little room */
	f = fixture_load("frag-bytes");
	assert_int_equal(parse_exact(f.buf, f.len, f.len, &h), LB_HELLO_OK);
	assert_int_equal(parse_exact(f.buf, f.len, f.len - 1, &h),
	    LB_HELLO_TOO_BIG);
	assert_int_equal(parse_exact(f.buf, f.len, 1000, &h),
	    LB_HELLO_TOO_BIG);
	expect_prefixes("frag-bytes", &f, 1000);
	fixture_free(&f);
}

/* What follows the hello (0-RTT: change_cipher_spec, application data)
 * is not looked at, and not counted in consumed. */
static void
records_after_the_hello(void **state)
{
	struct fixture f = fixture_load("trailing-records");
	struct lb_tls_hello h;

	(void)state;
	assert_int_equal(parse_exact(f.buf, f.len, MAX_16K, &h), LB_HELLO_OK);
	assert_int_equal(h.consumed, 517);
	assert_string_equal(h.sni, "app.example.com");
	fixture_free(&f);
}

static void
nothing_yet(void **state)
{
	static const uint8_t one = 0x16;
	struct lb_tls_hello h;

	(void)state;
	assert_int_equal(lb_tls_hello_parse(&one, 0, MAX_16K, &h),
	    LB_HELLO_MORE);
	assert_int_equal(parse_exact(&one, 1, MAX_16K, &h), LB_HELLO_MORE);
	/* not even room for a record header */
	assert_int_equal(parse_exact(&one, 1, 5, &h), LB_HELLO_TOO_BIG);
}

/* ssl-session-id persistence: a ServerHello's session id, whole or
 * from its prefixes; what is not a ServerHello. */
static void
server_hello_session(void **state)
{
	uint8_t m[81] = { 0x16, 0x03, 0x03, 0x00, 0x4c, 0x02, 0x00, 0x00,
	    0x48, 0x03, 0x03 };
	uint8_t id[32];
	size_t idlen;

	(void)state;
	m[43] = 32;
	for (int i = 0; i < 32; i++)
		m[44 + i] = (uint8_t)(i + 1);
	m[76] = 0xc0;
	m[77] = 0x2f;
	assert_int_equal(lb_tls_server_hello_session(m, sizeof(m), MAX_16K,
	    id, &idlen), LB_HELLO_OK);
	assert_int_equal(idlen, 32);
	assert_memory_equal(id, m + 44, 32);
	assert_int_equal(lb_tls_server_hello_session(m, 50, MAX_16K, id,
	    &idlen), LB_HELLO_MORE);
	m[43] = 0;
	assert_int_equal(lb_tls_server_hello_session(m, 44, MAX_16K, id,
	    &idlen), LB_HELLO_OK);
	assert_int_equal(idlen, 0);
	m[43] = 33;			/* more than a session id holds */
	assert_int_equal(lb_tls_server_hello_session(m, sizeof(m), MAX_16K,
	    id, &idlen), LB_HELLO_BAD);
	m[5] = 0x01;			/* a ClientHello */
	assert_int_equal(lb_tls_server_hello_session(m, sizeof(m), MAX_16K,
	    id, &idlen), LB_HELLO_BAD);
	m[0] = 'G';
	assert_int_equal(lb_tls_server_hello_session(m, sizeof(m), MAX_16K,
	    id, &idlen), LB_HELLO_NOT_TLS);
}

static void
alpn_offered(void **state)
{
	struct fixture f = fixture_load("alpn-long");
	struct lb_tls_hello h;

	(void)state;
	assert_int_equal(parse_exact(f.buf, f.len, MAX_16K, &h), LB_HELLO_OK);
	assert_true(h.has_alpn);
	assert_true(h.alpn_cut);
	assert_true(h.alpn_len <= LB_HELLO_ALPN_MAX);
	assert_true(lb_tls_hello_alpn_has(&h, "h2"));
	assert_true(lb_tls_hello_alpn_has(&h, "proto-00-xyz"));
	assert_false(lb_tls_hello_alpn_has(&h, "proto-00"));
	assert_false(lb_tls_hello_alpn_has(&h, ""));
	/* offered, but past what is kept */
	assert_false(lb_tls_hello_alpn_has(&h, "http/1.1"));
	fixture_free(&f);

	f = fixture_load("python");
	assert_int_equal(parse_exact(f.buf, f.len, MAX_16K, &h), LB_HELLO_OK);
	assert_true(lb_tls_hello_alpn_has(&h, "http/1.1"));
	assert_false(lb_tls_hello_alpn_has(&h, "h2"));
	fixture_free(&f);
}

static void
result_words(void **state)
{
	(void)state;
	assert_string_equal(lb_tls_hello_result_str(LB_HELLO_BAD),
	    "malformed ClientHello");
	assert_string_equal(lb_tls_hello_result_str(LB_HELLO_NOT_TLS),
	    "not TLS");
	assert_string_equal(lb_tls_hello_result_str(
	    (enum lb_hello_result)42), "?");
}

/* xorshift64: the same mutations on every run and every libc. */
static uint64_t
fuzz_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One random change to buf (len bytes, room for cap): a byte flipped,
 * set to an edge value, bumped, inserted or deleted, or a cut. */
static size_t
fuzz_mutate(uint8_t *buf, size_t len, size_t cap, uint64_t *s)
{
	static const uint8_t edges[] = { 0x00, 0x01, 0x16, 0x2e, 0x7f, 0x80,
	    0xff };
	size_t at = (size_t)(fuzz_next(s) % len);

	switch (fuzz_next(s) % 6) {
	case 0:
		buf[at] ^= (uint8_t)(1u << (fuzz_next(s) % 8));
		break;
	case 1:
		buf[at] = edges[fuzz_next(s) % sizeof(edges)];
		break;
	case 2:
		buf[at] += fuzz_next(s) % 2 ? 1 : 0xff;
		break;
	case 3:
		if (len < cap) {
			memmove(buf + at + 1, buf + at, len - at);
			buf[at] = (uint8_t)fuzz_next(s);
			len++;
		}
		break;
	case 4:
		memmove(buf + at, buf + at + 1, len - at - 1);
		len--;
		break;
	default:
		len = at + 1;
		break;
	}
	return len;
}

/* What must hold of any answer, whatever the input. */
static void
fuzz_check(const uint8_t *buf, size_t len, size_t max)
{
	struct lb_tls_hello h, again;
	enum lb_hello_result r = parse_exact(buf, len, max, &h);
	size_t k;

	assert_true(r >= LB_HELLO_MORE && r <= LB_HELLO_NOT_TLS);
	if (r == LB_HELLO_MORE)
		assert_true(len < max);
	if (r != LB_HELLO_OK)
		return;
	assert_true(h.consumed <= len && h.consumed <= max);
	assert_true(strlen(h.sni) <= LB_HELLO_SNI_MAX);
	assert_int_equal(h.has_sni, h.sni[0] != '\0');
	for (const char *c = h.sni; *c != '\0'; c++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789.-",
		    *c));
	assert_true(h.alpn_len <= LB_HELLO_ALPN_MAX);
	/* the records consumed are the hello, whatever follows */
	assert_int_equal(parse_exact(buf, h.consumed, max, &again),
	    LB_HELLO_OK);
	assert_memory_equal(&h, &again, sizeof(h));
	/* and a prefix is never more than MORE */
	k = h.consumed / 2;
	assert_int_equal(parse_exact(buf, k, max, &again), LB_HELLO_MORE);
}

/* Random changes to real hellos never crash nor read out of bounds
 * (build with -fsanitize=address,undefined or run under valgrind). */
static void
fuzz_mutations(void **state)
{
	static const char *const names[] = { "curl", "openssl-resume",
	    "frag-3", "ech-frag", "gnutls-wget", "tls12-noext" };
	struct fixture seeds[NITEMS(names)];
	uint64_t s = 0x5eed5eed5eed5eedULL;
	size_t cap = 4096, ok = 0;
	uint8_t *buf = malloc(cap);

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < NITEMS(names); i++) {
		seeds[i] = fixture_load(names[i]);
		assert_true(seeds[i].len <= cap);
	}
	for (size_t i = 0; i < FUZZ_ROUNDS; i++) {
		const struct fixture *f = &seeds[i % NITEMS(seeds)];
		size_t len = f->len, max, n = 1 + fuzz_next(&s) % 4;
		struct lb_tls_hello h;

		memcpy(buf, f->buf, len);
		for (size_t j = 0; j < n && len > 0; j++)
			len = fuzz_mutate(buf, len, cap, &s);
		max = fuzz_next(&s) % 2 ? MAX_16K : f->len;
		fuzz_check(buf, len, max);
		ok += parse_exact(buf, len, max, &h) == LB_HELLO_OK;
	}
	/* some mutations are harmless (a random byte): not all refused */
	assert_true(ok > 0);
	for (size_t i = 0; i < NITEMS(seeds); i++)
		fixture_free(&seeds[i]);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_captures),
		cmocka_unit_test(derived_hellos),
		cmocka_unit_test(every_prefix_wants_more),
		cmocka_unit_test(hostile_hellos),
		cmocka_unit_test(length_fields_off),
		cmocka_unit_test(hostile_answered_early),
		cmocka_unit_test(hostile_prefixes),
		cmocka_unit_test(sni_normal_form),
		cmocka_unit_test(size_bound),
		cmocka_unit_test(records_after_the_hello),
		cmocka_unit_test(nothing_yet),
		cmocka_unit_test(alpn_offered),
		cmocka_unit_test(server_hello_session),
		cmocka_unit_test(result_words),
		cmocka_unit_test(fuzz_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
