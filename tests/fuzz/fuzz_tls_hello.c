/*
 * tests/fuzz/fuzz_tls_hello.c - the ClientHello parser (lb/tls_hello.c),
 * on what a client sends first, and the promises of its contract
 * (lb/tls_hello.h), checked on prefixes of the input: a prefix answers
 * MORE or the whole input's answer, never another; OK's records end at
 * consumed, and one byte less is MORE; what OK reports is well formed.
 * A broken promise aborts.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tls_hello.h"

/* What passthrough.c reads a ClientHello into, and a small budget that
 * reaches TOO_BIG with ordinary hellos. */
#define BIG_MAX		LB_BUF_SIZE
#define SMALL_MAX	300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, size_t len, size_t max, enum lb_hello_result r)
{
	fprintf(stderr, "fuzz_tls_hello: %s (prefix of %zu bytes, max %zu: "
	    "%s)\n", what, len, max, lb_tls_hello_result_str(r));
	abort();
}

static bool
same_hello(const struct lb_tls_hello *a, const struct lb_tls_hello *b)
{
	return strcmp(a->sni, b->sni) == 0 && a->has_sni == b->has_sni &&
	    a->tls13 == b->tls13 && a->ech == b->ech &&
	    a->has_alpn == b->has_alpn && a->alpn_cut == b->alpn_cut &&
	    a->legacy_version == b->legacy_version &&
	    a->max_version == b->max_version && a->alpn_len == b->alpn_len &&
	    memcmp(a->alpn, b->alpn, a->alpn_len) == 0 &&
	    a->session_id_len == b->session_id_len &&
	    memcmp(a->session_id, b->session_id, a->session_id_len) == 0 &&
	    a->consumed == b->consumed;
}

/* A host name as the parser promises it: lowercase LDH labels. */
static void
check_sni(const struct lb_tls_hello *h)
{
	size_t n = strnlen(h->sni, sizeof(h->sni));

	if (n == sizeof(h->sni))
		fail("sni not terminated", 0, 0, LB_HELLO_OK);
	if (h->has_sni != (n > 0))
		fail("has_sni and sni disagree", 0, 0, LB_HELLO_OK);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h->sni[i];

		if (!(islower(c) || isdigit(c) || c == '-' || c == '.'))
			fail("sni has a byte outside [a-z0-9.-]", 0, 0,
			    LB_HELLO_OK);
	}
	if (n > 0 && (h->sni[0] == '.' || h->sni[n - 1] == '.'))
		fail("sni starts or ends with a dot", 0, 0, LB_HELLO_OK);
}

/* ALPN's wire form: length bytes and names, each name 1 byte at least,
 * all within alpn_len. */
static void
check_alpn(const struct lb_tls_hello *h)
{
	size_t i = 0;

	if (h->alpn_len > LB_HELLO_ALPN_MAX)
		fail("alpn_len over LB_HELLO_ALPN_MAX", 0, 0, LB_HELLO_OK);
	while (i < h->alpn_len) {
		if (h->alpn[i] == 0 || i + 1 + h->alpn[i] > h->alpn_len)
			fail("alpn[] is not a list of names", 0, 0,
			    LB_HELLO_OK);
		i += 1 + (size_t)h->alpn[i];
	}
	(void)lb_tls_hello_alpn_has(h, "h2");
	(void)lb_tls_hello_alpn_has(h, "http/1.1");
}

/* A prefix of len bytes: MORE, or whole's answer (and the same hello). */
static void
check_prefix(const uint8_t *data, size_t len, size_t max,
    enum lb_hello_result whole, const struct lb_tls_hello *h)
{
	struct lb_tls_hello p;
	enum lb_hello_result r = lb_tls_hello_parse(data, len, max, &p);

	if (r == LB_HELLO_MORE) {
		if (len >= max)
			fail("MORE with max bytes there", len, max, r);
		return;
	}
	if (r != whole)
		fail("a prefix answers neither MORE nor the same", len, max, r);
	if (r == LB_HELLO_OK && !same_hello(&p, h))
		fail("a prefix reads another ClientHello", len, max, r);
}

static void
check(const uint8_t *data, size_t size, size_t max)
{
	struct lb_tls_hello h;
	enum lb_hello_result r = lb_tls_hello_parse(data, size, max, &h);

	if ((unsigned)r > LB_HELLO_NOT_TLS)
		fail("unknown result", size, max, r);
	if (r == LB_HELLO_MORE && size >= max)
		fail("MORE with max bytes there", size, max, r);
	if (r == LB_HELLO_OK) {
		if (h.consumed == 0 || h.consumed > size || h.consumed > max)
			fail("consumed out of range", size, max, r);
		check_sni(&h);
		check_alpn(&h);
		check_prefix(data, h.consumed, max, r, &h);
		check_prefix(data, h.consumed - 1, max, LB_HELLO_MORE, &h);
	}
	if (size > 0)
		check_prefix(data, size - 1, max, r, &h);
	check_prefix(data, size / 2, max, r, &h);
}

/* The handshake bytes the records of data carry, their 5-byte headers
 * left out (a message may be cut into several records), into out; their
 * number. */
static size_t
payloads(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t n = 0, off = 0;

	while (off + 5 <= size) {
		size_t len = (size_t)data[off + 3] << 8 | data[off + 4];

		off += 5;
		if (len > size - off)
			len = size - off;
		memcpy(out + n, data + off, len);
		n += len;
		off += len;
	}
	return n;
}

/* The same bytes as a member's first: its ServerHello's session id is
 * at most 32 bytes, bytes the records carry, in order; a prefix says
 * MORE or what the whole says. */
static void
check_server(const uint8_t *data, size_t size)
{
	uint8_t id[32], id2[32], *hs = malloc(size + 1);
	size_t idlen, idlen2, nhs = hs != NULL ? payloads(data, size, hs) : 0;
	enum lb_hello_result r = lb_tls_server_hello_session(data, size,
	    BIG_MAX, id, &idlen), r2;

	if (hs == NULL)
		return;
	if (r == LB_HELLO_OK && (idlen > 32 || (idlen > 0 &&
	    memmem(hs, nhs, id, idlen) == NULL)))
		fail("a server session id not from the input", size, BIG_MAX,
		    r);
	for (size_t len = 0; len < size; len += 1 + len / 4) {
		r2 = lb_tls_server_hello_session(data, len, BIG_MAX, id2,
		    &idlen2);
		if (r2 != LB_HELLO_MORE && (r2 != r || (r == LB_HELLO_OK &&
		    (idlen2 != idlen || memcmp(id, id2, idlen) != 0))))
			fail("a server hello prefix says otherwise", len,
			    BIG_MAX, r2);
	}
	free(hs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, BIG_MAX);
	check(data, size, SMALL_MAX);
	check_server(data, size);
	return 0;
}
