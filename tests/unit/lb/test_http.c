/*
 * tests/unit/lb/test_http.c - lb/http.c: rewriting request and response
 * heads, and the replies edged makes itself.
 *
 * The heads are what llhttp (strict) lets through: CRLF line endings,
 * valid tokens, ending in the empty line.  Each head is copied into a heap
 * block of exactly its length (a sanitizer or valgrind sees any read past
 * it), and each output buffer is followed by a guard that must stay
 * untouched whatever the function returns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "http.h"

#define OUT_MAX		8192
#define GUARD		16
#define GUARD_BYTE	0x5a

/* One call: the input copy, the output with its guard, the result. */
struct call {
	char *in;
	size_t inlen;
	char *out;			/* outsize + GUARD bytes */
	size_t outsize;
	int n;
	struct lb_http_req_info info;
};

static void
call_begin(struct call *c, const char *head, size_t outsize)
{
	memset(c, 0, sizeof(*c));
	c->inlen = strlen(head);
	c->in = malloc(c->inlen);
	c->out = malloc(outsize + GUARD);
	assert_non_null(c->in);
	assert_non_null(c->out);
	memcpy(c->in, head, c->inlen);
	memset(c->out, GUARD_BYTE, outsize + GUARD);
	c->outsize = outsize;
}

/* Checks the guard, then frees. */
static void
call_end(struct call *c)
{
	for (size_t i = 0; i < GUARD; i++)
		assert_int_equal((unsigned char)c->out[c->outsize + i],
		    GUARD_BYTE);
	free(c->in);
	free(c->out);
}

static void
req_call(struct call *c, const char *head,
    const struct lb_http_req_opts *o, size_t outsize)
{
	call_begin(c, head, outsize);
	/* info must be set by the call whatever it held before */
	memset(&c->info, 0xa5, sizeof(c->info));
	c->n = lb_http_rewrite_request(c->in, c->inlen, o, c->out, outsize,
	    &c->info);
}

static void
rsp_call(struct call *c, const char *head,
    const struct lb_http_rsp_opts *o, size_t outsize)
{
	call_begin(c, head, outsize);
	c->n = lb_http_rewrite_response(c->in, c->inlen, o, c->out, outsize);
}

/* The output as a string, for messages that show it. */
static const char *
out_str(struct call *c)
{
	static char s[OUT_MAX + 1];

	assert_true(c->n >= 0 && (size_t)c->n <= c->outsize);
	memcpy(s, c->out, (size_t)c->n);
	s[c->n] = '\0';
	return s;
}

/* Whether the output holds line (without its CRLF) as a whole line. */
static bool
has_line(struct call *c, const char *line)
{
	const char *s = out_str(c), *p = s;
	size_t len = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == s || p[-1] == '\n') && strncmp(p + len, "\r\n", 2)
		    == 0)
			return true;
		p++;
	}
	return false;
}

/* The request head must be rewritten to want exactly. */
static void
expect_req(const char *head, const struct lb_http_req_opts *o,
    const char *want, struct lb_http_req_info *info)
{
	struct call c;

	req_call(&c, head, o, OUT_MAX);
	if (c.n < 0)
		fail_msg("lb_http_rewrite_request returned %d for:\n%s", c.n,
		    head);
	assert_string_equal(out_str(&c), want);
	if (info != NULL)
		*info = c.info;
	call_end(&c);
}

static void
expect_req_status(const char *head, const struct lb_http_req_opts *o,
    int status)
{
	struct call c;

	req_call(&c, head, o, OUT_MAX);
	if (c.n != -status)
		fail_msg("want %d, got %d for:\n%s", -status, c.n, head);
	call_end(&c);
}

static void
expect_rsp(const char *head, const struct lb_http_rsp_opts *o,
    const char *want)
{
	struct call c;

	rsp_call(&c, head, o, OUT_MAX);
	if (c.n < 0)
		fail_msg("lb_http_rewrite_response returned %d for:\n%s", c.n,
		    head);
	assert_string_equal(out_str(&c), want);
	call_end(&c);
}

static const struct lb_http_req_opts no_opts;

/* ---- requests: what passes, what goes ---- */

static void
test_req_plain_unchanged(void **state)
{
	static const char head[] =
	    "GET /index.html HTTP/1.1\r\n"
	    "Host: www.example.com\r\n"
	    "User-Agent: curl/8.5.0\r\n"
	    "Accept: */*\r\n"
	    "X-Empty:\r\n"
	    "\r\n";
	struct lb_http_req_info info;

	(void)state;
	expect_req(head, &no_opts, head, &info);
	assert_false(info.http10);
	assert_true(info.keep_alive);
	assert_false(info.has_key);
}

static void
test_req_hop_by_hop_removed(void **state)
{
	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: keep-alive\r\n"
	    "Keep-Alive: timeout=5, max=100\r\n"
	    "Accept: */*\r\n"
	    "Proxy-Connection: keep-alive\r\n"
	    "TE: trailers\r\n"
	    "Upgrade: websocket\r\n"
	    "X-After: 1\r\n"
	    "\r\n", &no_opts,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Accept: */*\r\n"
	    "X-After: 1\r\n"
	    "\r\n", NULL);
}

static void
test_req_hop_by_hop_any_case(void **state)
{
	struct lb_http_req_info info;

	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "hOST: a\r\n"
	    "CONNECTION: CLOSE\r\n"
	    "keep-ALIVE: 5\r\n"
	    "PROXY-connection: close\r\n"
	    "te: trailers\r\n"
	    "UPGRADE: h2c\r\n"
	    "\r\n", &no_opts,
	    "GET / HTTP/1.1\r\n"
	    "hOST: a\r\n"
	    "\r\n", &info);
	assert_false(info.keep_alive);
}

/* Similar names are not the hop-by-hop ones. */
static void
test_req_hop_by_hop_exact_names(void **state)
{
	static const char head[] =
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection-Id: 1\r\n"
	    "X-Connection: 2\r\n"
	    "Keep-Alive-Ms: 3\r\n"
	    "Tea: 4\r\n"
	    "Upgrade-Insecure-Requests: 1\r\n"
	    "Proxy-Authorization: Basic eA==\r\n"
	    "\r\n";

	(void)state;
	expect_req(head, &no_opts, head, NULL);
}

static void
test_req_connection_names_hop_by_hop(void **state)
{
	struct lb_http_req_info info;

	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Foo: 1\r\n"
	    "Connection: close, X-Foo\r\n"
	    "X-Foobar: 2\r\n"
	    "x-foo: 3\r\n"
	    "X-Fo: 4\r\n"
	    "\r\n", &no_opts,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Foobar: 2\r\n"
	    "X-Fo: 4\r\n"
	    "\r\n", &info);
	assert_false(info.keep_alive);
}

/* Several Connection lines, blanks around tokens, empty list elements. */
static void
test_req_connection_token_list(void **state)
{
	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: ,X-A , ,\tx-b\t\r\n"
	    "X-A: 1\r\n"
	    "X-B: 2\r\n"
	    "X-C: 3\r\n"
	    "connection: X-C\r\n"
	    "X-D: 4\r\n"
	    "\r\n", &no_opts,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-D: 4\r\n"
	    "\r\n", NULL);
}

/* RFC 9110 7.6.1: every header a Connection option names is removed, not
 * only the first few. */
static void
test_req_connection_many_tokens(void **state)
{
	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: X-1, X-2, X-3, X-4, X-5, X-6, X-7, X-8, X-9, X-10\r\n"
	    "X-1: 1\r\nX-2: 2\r\nX-3: 3\r\nX-4: 4\r\nX-5: 5\r\n"
	    "X-6: 6\r\nX-7: 7\r\nX-8: 8\r\nX-9: 9\r\nX-10: 10\r\n"
	    "X-Kept: yes\r\n"
	    "\r\n", &no_opts,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Kept: yes\r\n"
	    "\r\n", NULL);
}

/*
 * A Connection option must not strip what frames the body or routes the
 * request: a head without its Content-Length or Transfer-Encoding, and
 * the body streamed after it, is a second request to the backend that
 * edged never saw (request smuggling).  Either the header stays or the
 * request is refused.
 */
static void
expect_kept_or_refused(const char *head, const struct lb_http_req_opts *o,
    const char *line)
{
	struct call c;

	req_call(&c, head, o, OUT_MAX);
	if (c.n != -400 && (c.n < 0 || !has_line(&c, line)))
		fail_msg("'%s' named in Connection: got %d%s%s; want the "
		    "line kept or -400", line, c.n, c.n >= 0 ? ", head:\n" :
		    "", c.n >= 0 ? out_str(&c) : "");
	call_end(&c);
}

static void
test_req_connection_cannot_strip_content_length(void **state)
{
	(void)state;
	expect_kept_or_refused("POST /upload HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: Content-Length\r\n"
	    "Content-Length: 5\r\n"
	    "\r\n", &no_opts, "Content-Length: 5");
}

static void
test_req_connection_cannot_strip_transfer_encoding(void **state)
{
	struct lb_http_req_opts o = { .te = true, .chunked = true };

	(void)state;
	expect_kept_or_refused("POST /upload HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: keep-alive, Transfer-Encoding\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n", &o, "Transfer-Encoding: chunked");
}

static void
test_req_connection_cannot_strip_host(void **state)
{
	(void)state;
	expect_kept_or_refused("GET / HTTP/1.1\r\n"
	    "Host: www.example.com\r\n"
	    "Connection: host\r\n"
	    "\r\n", &no_opts, "Host: www.example.com");
}

/* ---- requests: framing ---- */

static void
test_req_chunked_kept(void **state)
{
	static const char head[] =
	    "POST /api HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Content-Type: application/json\r\n"
	    "\r\n";
	struct lb_http_req_opts o = { .te = true, .chunked = true };

	(void)state;
	expect_req(head, &o, head, NULL);
}

static void
test_req_chunked_last_kept(void **state)
{
	static const char head[] =
	    "POST /api HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n";
	struct lb_http_req_opts o = { .te = true, .chunked = true };

	(void)state;
	expect_req(head, &o, head, NULL);
}

static void
test_req_te_not_chunked(void **state)
{
	struct lb_http_req_opts o = { .te = true, .chunked = false };

	(void)state;
	expect_req_status("POST / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Transfer-Encoding: gzip\r\n"
	    "\r\n", &o, 400);
}

static void
test_req_te_in_http10(void **state)
{
	struct lb_http_req_opts o = { .te = true, .chunked = true };

	(void)state;
	expect_req_status("POST / HTTP/1.0\r\n"
	    "Host: a\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n", &o, 400);
}

static void
test_req_content_length_kept(void **state)
{
	static const char head[] =
	    "PUT /f HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Content-Length: 12\r\n"
	    "\r\n";

	(void)state;
	expect_req(head, &no_opts, head, NULL);
}

/* ---- requests: Host ---- */

static void
test_req_missing_host(void **state)
{
	(void)state;
	expect_req_status("GET / HTTP/1.1\r\n"
	    "Accept: */*\r\n"
	    "\r\n", &no_opts, 400);
	expect_req_status("GET / HTTP/1.1\r\n\r\n", &no_opts, 400);
	/* a header that only ends in "host" is not Host */
	expect_req_status("GET / HTTP/1.1\r\n"
	    "X-Forwarded-Host: a\r\n"
	    "\r\n", &no_opts, 400);
}

static void
test_req_two_hosts(void **state)
{
	(void)state;
	expect_req_status("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Host: a\r\n"
	    "\r\n", &no_opts, 400);
	expect_req_status("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Accept: */*\r\n"
	    "HOST: b\r\n"
	    "\r\n", &no_opts, 400);
	expect_req_status("GET / HTTP/1.0\r\n"
	    "host: a\r\n"
	    "Host: b\r\n"
	    "\r\n", &no_opts, 400);
}

static void
test_req_empty_host(void **state)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost:\r\n\r\n";

	(void)state;
	expect_req(head, &no_opts, head, NULL);
}

/* ---- requests: obs-fold ---- */

static void
test_req_obs_fold(void **state)
{
	(void)state;
	expect_req_status("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Long: one\r\n"
	    " two\r\n"
	    "\r\n", &no_opts, 400);
	expect_req_status("GET / HTTP/1.1\r\n"
	    "X-Long: one\r\n"
	    "\ttwo\r\n"
	    "Host: a\r\n"
	    "\r\n", &no_opts, 400);
	/* a folded Connection header cannot hide what it names either */
	expect_req_status("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: close,\r\n"
	    " X-Foo\r\n"
	    "\r\n", &no_opts, 400);
}

/* ---- requests: what edged adds ---- */

static void
test_req_xff_appended(void **state)
{
	struct lb_http_req_opts o = { .xff = "192.0.2.7" };

	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "\r\n", &o,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Forwarded-For: 192.0.2.7\r\n"
	    "\r\n", NULL);
}

static void
test_req_xff_existing_kept(void **state)
{
	struct lb_http_req_opts o = { .xff = "2001:db8::7" };

	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "X-Forwarded-For: 203.0.113.1, 198.51.100.2\r\n"
	    "Host: a\r\n"
	    "\r\n", &o,
	    "GET / HTTP/1.1\r\n"
	    "X-Forwarded-For: 203.0.113.1, 198.51.100.2\r\n"
	    "Host: a\r\n"
	    "X-Forwarded-For: 2001:db8::7\r\n"
	    "\r\n", NULL);
}

static void
test_req_xfp_replaces_the_clients(void **state)
{
	struct lb_http_req_opts o = { .xff = "192.0.2.7", .xfp = "https" };

	(void)state;
	/* a client over plain HTTP must not pass for one over TLS */
	expect_req("GET / HTTP/1.1\r\n"
	    "X-Forwarded-Proto: http\r\n"
	    "Host: a\r\n"
	    "x-forwarded-proto: https\r\n"
	    "\r\n", &o,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Forwarded-For: 192.0.2.7\r\n"
	    "X-Forwarded-Proto: https\r\n"
	    "\r\n", NULL);
}

static void
test_req_http10_default_close(void **state)
{
	struct lb_http_req_info info;

	(void)state;
	/* HTTP/1.0 needs no Host; the backend is asked to keep it open */
	expect_req("GET /old HTTP/1.0\r\n"
	    "\r\n", &no_opts,
	    "GET /old HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n", &info);
	assert_true(info.http10);
	assert_false(info.keep_alive);
}

static void
test_req_http10_keep_alive(void **state)
{
	struct lb_http_req_opts o = { .xff = "192.0.2.7" };
	struct lb_http_req_info info;

	(void)state;
	expect_req("GET / HTTP/1.0\r\n"
	    "Host: a\r\n"
	    "Connection: Keep-Alive\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "\r\n", &o,
	    "GET / HTTP/1.0\r\n"
	    "Host: a\r\n"
	    "Connection: keep-alive\r\n"
	    "X-Forwarded-For: 192.0.2.7\r\n"
	    "\r\n", &info);
	assert_true(info.http10);
	assert_true(info.keep_alive);
}

static void
test_req_http10_close(void **state)
{
	struct lb_http_req_info info;

	(void)state;
	expect_req("GET / HTTP/1.0\r\n"
	    "Connection: close\r\n"
	    "\r\n", &no_opts,
	    "GET / HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n", &info);
	assert_true(info.http10);
	assert_false(info.keep_alive);
}

static void
test_req_http11_keep_alive(void **state)
{
	struct lb_http_req_info info;

	(void)state;
	/* 1.1 gets no Connection header: reuse is the default both ways */
	expect_req("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &no_opts,
	    "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &info);
	assert_false(info.http10);
	assert_true(info.keep_alive);
	expect_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n"
	    "\r\n", &no_opts, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &info);
	assert_true(info.keep_alive);
	expect_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    &no_opts, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &info);
	assert_false(info.keep_alive);
	expect_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Foo, Close\r\n"
	    "\r\n", &no_opts, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &info);
	assert_false(info.keep_alive);
}

static void
test_req_upgrade(void **state)
{
	struct lb_http_req_opts o = { .upgrade = true, .xff = "192.0.2.7" };
	struct lb_http_req_info info;

	(void)state;
	expect_req("GET /chat HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "\r\n", &o,
	    "GET /chat HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Connection: upgrade\r\n"
	    "X-Forwarded-For: 192.0.2.7\r\n"
	    "\r\n", &info);
	assert_true(info.keep_alive);
}

/* The other options of an upgrade's Connection header still go. */
static void
test_req_upgrade_named_removed(void **state)
{
	struct lb_http_req_opts o = { .upgrade = true };

	(void)state;
	expect_req("GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Connection: Upgrade, HTTP2-Settings\r\n"
	    "Upgrade: h2c\r\n"
	    "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
	    "\r\n", &o,
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Upgrade: h2c\r\n"
	    "Connection: upgrade\r\n"
	    "\r\n", NULL);
}

/* ---- requests: what is reported ---- */

static void
expect_url(const char *head, const char *url)
{
	struct lb_http_req_info info;
	struct call c;

	req_call(&c, head, &no_opts, OUT_MAX);
	assert_true(c.n > 0);
	info = c.info;
	assert_true((size_t)info.url_off + info.url_len <= c.inlen);
	assert_int_equal(info.url_len, strlen(url));
	assert_memory_equal(c.in + info.url_off, url, info.url_len);
	call_end(&c);
}

static void
test_req_url_offsets(void **state)
{
	(void)state;
	expect_url("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "/");
	expect_url("GET /a/b?c=d&e HTTP/1.1\r\nHost: a\r\n\r\n",
	    "/a/b?c=d&e");
	expect_url("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "*");
	expect_url("M-SEARCH http://example.com:8080/x?y HTTP/1.1\r\n"
	    "Host: example.com:8080\r\n\r\n",
	    "http://example.com:8080/x?y");
	expect_url("GET /old HTTP/1.0\r\n\r\n", "/old");
}

/* key_header's value: first line of that name, any case, trimmed; the
 * offsets point into the input. */
static void
expect_key(const char *head, const char *name, const char *value)
{
	struct lb_http_req_opts o = { .key_header = name };
	struct call c;

	req_call(&c, head, &o, OUT_MAX);
	assert_true(c.n > 0);
	if (value == NULL) {
		assert_false(c.info.has_key);
	} else {
		assert_true(c.info.has_key);
		assert_true((size_t)c.info.key_off + c.info.key_len <=
		    c.inlen);
		assert_int_equal(c.info.key_len, strlen(value));
		assert_memory_equal(c.in + c.info.key_off, value,
		    c.info.key_len);
	}
	call_end(&c);
}

static void
test_req_key_header(void **state)
{
	static const char head[] =
	    "GET / HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "X-Tenant-Id: wrong-prefix\r\n"
	    "x-TENANT: \t blue sky \t\r\n"
	    "X-Tenant: red\r\n"
	    "\r\n";

	(void)state;
	expect_key(head, "X-Tenant", "blue sky");
	expect_key(head, "x-tenant", "blue sky");
	expect_key(head, "X-Tenant-Id", "wrong-prefix");
	expect_key(head, "X-Tenan", NULL);
	expect_key(head, "X-Other", NULL);
	expect_key("GET / HTTP/1.1\r\nHost: a\r\nX-Tenant:red\r\n\r\n",
	    "X-Tenant", "red");
}

/* The key is reported, and the header still goes to the backend. */
static void
test_req_key_header_forwarded(void **state)
{
	static const char head[] =
	    "GET / HTTP/1.1\r\nHost: a\r\nX-Tenant: blue\r\n\r\n";
	struct lb_http_req_opts o = { .key_header = "X-Tenant" };
	struct lb_http_req_info info;

	(void)state;
	expect_req(head, &o, head, &info);
	assert_true(info.has_key);
}

/* ---- requests: room ---- */

static void
test_req_out_too_small(void **state)
{
	static const char head[] =
	    "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	static const char want[] =
	    "GET /a HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.7\r\n"
	    "\r\n";
	struct lb_http_req_opts o = { .xff = "192.0.2.7" };
	size_t need = strlen(want);
	struct call c;

	(void)state;
	/* exactly enough */
	req_call(&c, head, &o, need);
	assert_int_equal(c.n, (int)need);
	assert_memory_equal(c.out, want, need);
	call_end(&c);
	/* one byte short, and less, down to nothing */
	for (size_t size = need - 1;; size = size > 16 ? size / 2 : size - 1) {
		req_call(&c, head, &o, size);
		assert_int_equal(c.n, -431);
		call_end(&c);
		if (size == 0)
			break;
	}
}

/* ---- responses ---- */

static const struct lb_http_rsp_opts rsp_keep = { .keep_alive = true };

static void
test_rsp_plain_unchanged(void **state)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 5\r\n"
	    "X-Empty:\r\n"
	    "\r\n";

	(void)state;
	expect_rsp(head, &rsp_keep, head);
}

static void
test_rsp_hop_by_hop_removed(void **state)
{
	(void)state;
	expect_rsp("HTTP/1.1 200 OK\r\n"
	    "Connection: keep-alive, X-Hop\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "Proxy-Connection: keep-alive\r\n"
	    "TE: trailers\r\n"
	    "Upgrade: h2c\r\n"
	    "x-hop: 1\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Server: nginx\r\n"
	    "\r\n", &rsp_keep,
	    "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Server: nginx\r\n"
	    "\r\n");
}

static void
test_rsp_close(void **state)
{
	struct lb_http_rsp_opts o = { .keep_alive = false };

	(void)state;
	expect_rsp("HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 0\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n", &o,
	    "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 0\r\n"
	    "Connection: close\r\n"
	    "\r\n");
	o.client_http10 = true;
	expect_rsp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &o,
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n"
	    "\r\n");
}

static void
test_rsp_http10_keep_alive(void **state)
{
	struct lb_http_rsp_opts o = { .keep_alive = true,
	    .client_http10 = true };

	(void)state;
	expect_rsp("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "Connection: close\r\n"
	    "\r\n", &o,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n");
}

static void
test_rsp_upgrade(void **state)
{
	struct lb_http_rsp_opts o = { .upgrade = true, .keep_alive = false };

	(void)state;
	expect_rsp("HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "\r\n", &o,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Connection: upgrade\r\n"
	    "\r\n");
}

static void
test_rsp_obs_fold(void **state)
{
	struct call c;

	(void)state;
	rsp_call(&c, "HTTP/1.1 200 OK\r\n"
	    "X-Long: one\r\n"
	    " two\r\n"
	    "Content-Length: 0\r\n"
	    "\r\n", &rsp_keep, OUT_MAX);
	assert_int_equal(c.n, -502);
	call_end(&c);
}

/* As for requests: a Connection option naming the framing header must not
 * leave the client a body it cannot delimit. */
static void
expect_rsp_kept_or_refused(const char *head, const char *line)
{
	struct call c;

	rsp_call(&c, head, &rsp_keep, OUT_MAX);
	if (c.n != -502 && (c.n < 0 || !has_line(&c, line)))
		fail_msg("'%s' named in Connection: got %d%s%s; want the "
		    "line kept or -502", line, c.n, c.n >= 0 ? ", head:\n" :
		    "", c.n >= 0 ? out_str(&c) : "");
	call_end(&c);
}

static void
test_rsp_connection_cannot_strip_framing(void **state)
{
	(void)state;
	expect_rsp_kept_or_refused("HTTP/1.1 200 OK\r\n"
	    "Connection: Content-Length\r\n"
	    "Content-Length: 5\r\n"
	    "\r\n", "Content-Length: 5");
	expect_rsp_kept_or_refused("HTTP/1.1 200 OK\r\n"
	    "Connection: Transfer-Encoding\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n", "Transfer-Encoding: chunked");
}

static void
test_rsp_out_too_small(void **state)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: 5\r\n\r\n";
	static const char want[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n"
	    "\r\n";
	struct lb_http_rsp_opts o = { .keep_alive = false };
	size_t need = strlen(want);
	struct call c;

	(void)state;
	rsp_call(&c, head, &o, need);
	assert_int_equal(c.n, (int)need);
	assert_memory_equal(c.out, want, need);
	call_end(&c);
	for (size_t size = need - 1;; size = size > 16 ? size / 2 : size - 1) {
		rsp_call(&c, head, &o, size);
		assert_int_equal(c.n, -502);
		call_end(&c);
		if (size == 0)
			break;
	}
}

/* ---- replies edged makes itself ---- */

/* The value of header name in the head [p, end), or NULL. */
static const char *
header_value(const char *p, const char *end, const char *name, size_t *len)
{
	size_t nlen = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));

		assert_non_null(eol);
		if (eol == p)
			return NULL;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			p += nlen + 1;
			while (*p == ' ')
				p++;
			*len = (size_t)(eol - p);
			return p;
		}
		p = eol + 2;
	}
	return NULL;
}

/* A complete HTTP/1.1 response: status line, headers, the body that its
 * Content-Length announces and nothing more, Connection: close. */
static void
check_reply(int status, const char *status_line)
{
	size_t len = 0, vlen = 0, blen;
	const char *r = lb_http_error_reply(status, &len), *end, *v;
	char cl[32];

	assert_non_null(r);
	assert_int_equal(strlen(r), len);
	assert_true(len > strlen(status_line) + 2);
	assert_memory_equal(r, status_line, strlen(status_line));
	assert_memory_equal(r + strlen(status_line), "\r\n", 2);
	end = strstr(r, "\r\n\r\n");
	assert_non_null(end);
	end += 4;
	blen = len - (size_t)(end - r);
	assert_true(blen > 0);

	v = header_value(r + strlen(status_line) + 2, end, "Content-Length",
	    &vlen);
	assert_non_null(v);
	snprintf(cl, sizeof(cl), "%zu", blen);
	assert_int_equal(vlen, strlen(cl));
	assert_memory_equal(v, cl, vlen);

	v = header_value(r + strlen(status_line) + 2, end, "Connection",
	    &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 5);
	assert_memory_equal(v, "close", 5);

	assert_non_null(header_value(r + strlen(status_line) + 2, end,
	    "Content-Type", &vlen));
	/* the body names the status, for the person who reads it */
	assert_non_null(strstr(end, status_line + strlen("HTTP/1.1 ")));
}

static void
test_error_replies(void **state)
{
	static const struct {
		int status;
		const char *line;
	} want[] = {
		{ 400, "HTTP/1.1 400 Bad Request" },
		{ 405, "HTTP/1.1 405 Method Not Allowed" },
		{ 408, "HTTP/1.1 408 Request Timeout" },
		{ 431, "HTTP/1.1 431 Request Header Fields Too Large" },
		{ 500, "HTTP/1.1 500 Internal Server Error" },
		{ 502, "HTTP/1.1 502 Bad Gateway" },
		{ 503, "HTTP/1.1 503 Service Unavailable" },
		{ 504, "HTTP/1.1 504 Gateway Timeout" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		check_reply(want[i].status, want[i].line);
}

static void
test_error_reply_unknown_is_500(void **state)
{
	static const int unknown[] = { 0, -1, 100, 200, 404, 501, 599, 999 };
	size_t len500 = 0, len = 0;
	const char *r500 = lb_http_error_reply(500, &len500);

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *r = lb_http_error_reply(unknown[i], &len);

		assert_ptr_equal(r, r500);
		assert_int_equal(len, len500);
	}
	check_reply(404, "HTTP/1.1 500 Internal Server Error");
}

/* The same static text on every call. */
static void
test_error_reply_stable(void **state)
{
	size_t a = 0, b = 0;
	const char *r1 = lb_http_error_reply(503, &a);
	const char *r2 = lb_http_error_reply(503, &b);

	(void)state;
	assert_ptr_equal(r1, r2);
	assert_int_equal(a, b);
}

/* ---- the grammar (RFC 9110/9112): tables of good and bad lines ---- */

/* A literal with its length: some rows hold a NUL. */
struct row {
	const char *s;
	size_t len;
};
#define ROW(lit)	{ lit, sizeof(lit) - 1 }
#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))
/* room for the longest target */
#define ROW_OUT		(2 * LB_HTTP_MAX_TARGET)

/* Runs the rewrite on prefix + row + suffix; returns its result. */
static int
rewrite_with(const char *prefix, struct row r, const char *suffix,
    bool response)
{
	size_t plen = strlen(prefix), slen = strlen(suffix);
	size_t len = plen + r.len + slen;
	char *in = malloc(len), *out = malloc(ROW_OUT);
	struct lb_http_req_info info;
	struct lb_http_rsp_opts ro = { .keep_alive = true };
	int n;

	assert_non_null(in);
	assert_non_null(out);
	memcpy(in, prefix, plen);
	memcpy(in + plen, r.s, r.len);
	memcpy(in + plen + r.len, suffix, slen);
	n = response ? lb_http_rewrite_response(in, len, &ro, out, ROW_OUT) :
	    lb_http_rewrite_request(in, len, &no_opts, out, ROW_OUT, &info);
	free(in);
	free(out);
	return n;
}

static void
expect_rows(const char *prefix, const struct row *rows, size_t n,
    const char *suffix, bool response, bool good)
{
	for (size_t i = 0; i < n; i++) {
		int r = rewrite_with(prefix, rows[i], suffix, response);

		if ((r >= 0) != good)
			fail_msg("row %zu \"%.*s\": want %s, got %d", i,
			    (int)rows[i].len, rows[i].s, good ? "accepted" :
			    "refused", r);
		if (!good && r != (response ? -502 : -400))
			fail_msg("row %zu: want %d, got %d", i,
			    response ? -502 : -400, r);
	}
}

static void
test_req_line_grammar(void **state)
{
	static const struct row good[] = {
		ROW("GET / HTTP/1.1"),
		ROW("GET /a/b?c=d&e=%20f HTTP/1.1"),
		ROW("GET /{x}|^ HTTP/1.1"),	/* VCHAR, as clients send */
		ROW("POST /upload HTTP/1.0"),
		ROW("GET http://www.example.com/x HTTP/1.1"),
		ROW("GET https://[2001:db8::1]:8443/ HTTP/1.1"),
		ROW("OPTIONS * HTTP/1.1"),
		ROW("CONNECT www.example.com:443 HTTP/1.1"),
		ROW("CONNECT [2001:db8::1]:443 HTTP/1.1"),
	};
	static const struct row bad[] = {
		ROW("GET /"),			/* HTTP/0.9 */
		ROW("GET / "),
		ROW("GET  / HTTP/1.1"),		/* two spaces */
		ROW("GET /  HTTP/1.1"),
		ROW("GET / HTTP/1.1 "),
		ROW(" GET / HTTP/1.1"),
		ROW("GET\t/ HTTP/1.1"),
		ROW("G@T / HTTP/1.1"),		/* method not a token */
		ROW("GET /a b HTTP/1.1"),	/* space in the target */
		ROW("GET /a\x01" "b HTTP/1.1"),	/* control byte */
		ROW("GET /a\0b HTTP/1.1"),
		ROW("GET /a\x7f HTTP/1.1"),
		ROW("GET /caf\xc3\xa9 HTTP/1.1"),	/* URIs are ASCII */
		ROW("GET /a\rb HTTP/1.1"),	/* bare CR */
		ROW("GET / HTTP/1.2"),
		ROW("GET / HTTP/2.0"),
		ROW("GET / http/1.1"),
		ROW("GET / HTTP/1.10"),
		ROW("GET / HTTP/1"),
		ROW("GET * HTTP/1.1"),		/* asterisk-form: OPTIONS */
		ROW("M-SEARCH * HTTP/1.1"),
		ROW("GET www.example.com:80 HTTP/1.1"),	/* authority-form */
		ROW("GET example HTTP/1.1"),
		ROW("GET 1http://a/ HTTP/1.1"),	/* scheme starts with ALPHA */
		ROW("GET :/a HTTP/1.1"),
		ROW("CONNECT / HTTP/1.1"),	/* CONNECT: authority-form */
		ROW("CONNECT www.example.com HTTP/1.1"),
		ROW("CONNECT a:1:2 HTTP/1.1"),
		ROW("CONNECT :443 HTTP/1.1"),
	};

	(void)state;
	expect_rows("", good, NROWS(good), "\r\nHost: a\r\n\r\n", false,
	    true);
	expect_rows("", bad, NROWS(bad), "\r\nHost: a\r\n\r\n", false, false);
}

static void
test_req_target_length(void **state)
{
	size_t n = LB_HTTP_MAX_TARGET + 64;
	char *line = malloc(n);
	struct row r = { line, 0 };

	(void)state;
	assert_non_null(line);
	memcpy(line, "GET /", 5);
	memset(line + 5, 'a', n - 5);
	/* "GET " + the target + " HTTP/1.1" */
	memcpy(line + 4 + LB_HTTP_MAX_TARGET, " HTTP/1.1", 9);
	r.len = 4 + LB_HTTP_MAX_TARGET + 9;
	assert_true(rewrite_with("", r, "\r\nHost: a\r\n\r\n", false) >= 0);
	/* one byte more */
	memcpy(line + 4 + LB_HTTP_MAX_TARGET, "a HTTP/1.1", 10);
	r.len++;
	assert_int_equal(rewrite_with("", r, "\r\nHost: a\r\n\r\n", false),
	    -400);
	free(line);
}

/* Field lines, for requests and responses alike. */
static const struct row good_fields[] = {
	ROW("X-A: b"),
	ROW("X-A:b"),
	ROW("X-A:"),				/* an empty value */
	ROW("X-A:   "),
	ROW("X-A: \t b \t "),
	ROW("X-A: a\tb c"),			/* HTAB and SP inside */
	ROW("X-A: caf\xc3\xa9 \x80\xff"),	/* obs-text */
	ROW("!#$%&'*+-.^_`|~09azAZ: x"),	/* every tchar */
	ROW("X-A: \"quoted, with: colon\""),
	ROW("Content-Length: 0"),
	ROW("Content-Length: 4611686018427387904"),	/* 2^62 */
	ROW("Content-Length:  12  "),
};
static const struct row bad_fields[] = {
	ROW(": v"),				/* an empty name */
	ROW(":"),
	ROW("X Y: 1"),				/* a space in the name */
	ROW("X-A : 1"),
	ROW("X@Y: 1"),
	ROW("X(Y): 1"),
	ROW("X\x01Y: 1"),
	ROW("X\xc3\xa9: 1"),
	ROW("X-A: a\0b"),			/* NUL in the value */
	ROW("X-A: a\x01" "b"),
	ROW("X-A: a\x1f" "b"),
	ROW("X-A: a\x7f" "b"),
	ROW("X-A: a\rb"),			/* a bare CR */
	ROW("X-A: a\x0b" "b"),
	ROW("no colon"),
	ROW("Content-Length: +5"),
	ROW("Content-Length: -5"),
	ROW("Content-Length: 1 2"),
	ROW("Content-Length: 0x10"),
	ROW("Content-Length: 12345678901234567890"),	/* 20 digits */
	ROW("Content-Length: 4611686018427387905"),	/* 2^62 + 1 */
	ROW("Content-Length:"),
};

static void
test_req_field_grammar(void **state)
{
	(void)state;
	expect_rows("GET / HTTP/1.1\r\nHost: a\r\n", good_fields,
	    NROWS(good_fields), "\r\n\r\n", false, true);
	expect_rows("GET / HTTP/1.1\r\nHost: a\r\n", bad_fields,
	    NROWS(bad_fields), "\r\n\r\n", false, false);
}

static void
test_req_host_grammar(void **state)
{
	static const struct row good[] = {
		ROW("Host: www.example.com"),
		ROW("Host: www.example.com:8080"),
		ROW("Host: www.example.com:"),	/* port = *DIGIT */
		ROW("Host: 192.0.2.1:80"),
		ROW("Host: [2001:db8::1]"),
		ROW("Host: [2001:db8::1]:443"),
		ROW("Host: xn--caf-dma.example"),
		ROW("Host: a%20b"),
		ROW("Host: a_b~c!$&'()*+,;="),
		ROW("Host:"),
	};
	static const struct row bad[] = {
		ROW("Host: a b"),
		ROW("Host: a:1:2"),		/* two ports */
		ROW("Host: a:b"),
		ROW("Host: a:123456"),
		ROW("Host: a/b"),
		ROW("Host: a@b"),
		ROW("Host: a%2"),
		ROW("Host: a%zz"),
		ROW("Host: [2001:db8::1"),
		ROW("Host: []"),
		ROW("Host: [::1]x"),
		ROW("Host: [a/b]"),
		ROW("Host: caf\xc3\xa9"),
	};

	(void)state;
	expect_rows("GET / HTTP/1.1\r\n", good, NROWS(good), "\r\n\r\n",
	    false, true);
	expect_rows("GET / HTTP/1.1\r\n", bad, NROWS(bad), "\r\n\r\n", false,
	    false);
}

/* A head must end in its empty line, every line in CRLF. */
static void
test_req_line_endings(void **state)
{
	static const struct row bad[] = {
		ROW("GET / HTTP/1.1\r\nHost: a\r\n"),
		ROW("GET / HTTP/1.1\r\nHost: a\r\n\n"),
		ROW("GET / HTTP/1.1\r\nHost: a\n\r\n"),
		ROW("GET / HTTP/1.1\nHost: a\r\n\r\n"),
		ROW("GET / HTTP/1.1\r\nHost: a"),
		ROW("GET / HTTP/1.1"),
		ROW(""),
	};

	(void)state;
	expect_rows("", bad, NROWS(bad), "", false, false);
}

static void
test_rsp_status_line_grammar(void **state)
{
	static const struct row good[] = {
		ROW("HTTP/1.1 200 OK"),
		ROW("HTTP/1.0 404 Not Found"),
		ROW("HTTP/1.1 200 "),
		ROW("HTTP/1.1 200"),		/* no reason, no SP */
		ROW("HTTP/1.1 599 caf\xc3\xa9\tok"),
	};
	static const struct row bad[] = {
		ROW("HTTP/1.2 200 OK"),
		ROW("HTTP/2.0 200 OK"),
		ROW("http/1.1 200 OK"),
		ROW("HTTP/1.1 20 OK"),
		ROW("HTTP/1.1 2000 OK"),
		ROW("HTTP/1.1 2x0 OK"),
		ROW("HTTP/1.1  200 OK"),
		ROW("HTTP/1.1 200 O\x01K"),
		ROW("HTTP/1.1 200 O\0K"),
		ROW("HTTP/1.1"),
	};

	(void)state;
	expect_rows("", good, NROWS(good), "\r\nContent-Length: 0\r\n\r\n",
	    true, true);
	expect_rows("", bad, NROWS(bad), "\r\nContent-Length: 0\r\n\r\n",
	    true, false);
}

static void
test_rsp_field_grammar(void **state)
{
	(void)state;
	expect_rows("HTTP/1.1 200 OK\r\n", good_fields, NROWS(good_fields),
	    "\r\n\r\n", true, true);
	expect_rows("HTTP/1.1 200 OK\r\n", bad_fields, NROWS(bad_fields),
	    "\r\n\r\n", true, false);
}

static void
test_token_chars(void **state)
{
	(void)state;
	assert_true(lb_http_token_chars("", 0));
	assert_true(lb_http_token_chars("X-Trailer", 9));
	assert_false(lb_http_token_chars("X Y", 3));
	assert_false(lb_http_token_chars("X:", 2));
	assert_false(lb_http_token_chars("\0", 1));
	assert_false(lb_http_token_chars("\x80", 1));
}

static void
test_length_limit(void **state)
{
	(void)state;
	assert_true(lb_http_length_ok(0));
	assert_true(lb_http_length_ok(LB_HTTP_MAX_LENGTH));
	assert_false(lb_http_length_ok(LB_HTTP_MAX_LENGTH + 1));
	assert_false(lb_http_length_ok(UINT64_MAX));	/* sixteen F's */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_plain_unchanged),
		cmocka_unit_test(test_req_hop_by_hop_removed),
		cmocka_unit_test(test_req_hop_by_hop_any_case),
		cmocka_unit_test(test_req_hop_by_hop_exact_names),
		cmocka_unit_test(test_req_connection_names_hop_by_hop),
		cmocka_unit_test(test_req_connection_token_list),
		cmocka_unit_test(test_req_connection_many_tokens),
		cmocka_unit_test(test_req_connection_cannot_strip_content_length),
		cmocka_unit_test(
		    test_req_connection_cannot_strip_transfer_encoding),
		cmocka_unit_test(test_req_connection_cannot_strip_host),
		cmocka_unit_test(test_req_chunked_kept),
		cmocka_unit_test(test_req_chunked_last_kept),
		cmocka_unit_test(test_req_te_not_chunked),
		cmocka_unit_test(test_req_te_in_http10),
		cmocka_unit_test(test_req_content_length_kept),
		cmocka_unit_test(test_req_missing_host),
		cmocka_unit_test(test_req_two_hosts),
		cmocka_unit_test(test_req_empty_host),
		cmocka_unit_test(test_req_obs_fold),
		cmocka_unit_test(test_req_xff_appended),
		cmocka_unit_test(test_req_xff_existing_kept),
		cmocka_unit_test(test_req_xfp_replaces_the_clients),
		cmocka_unit_test(test_req_http10_default_close),
		cmocka_unit_test(test_req_http10_keep_alive),
		cmocka_unit_test(test_req_http10_close),
		cmocka_unit_test(test_req_http11_keep_alive),
		cmocka_unit_test(test_req_upgrade),
		cmocka_unit_test(test_req_upgrade_named_removed),
		cmocka_unit_test(test_req_url_offsets),
		cmocka_unit_test(test_req_key_header),
		cmocka_unit_test(test_req_key_header_forwarded),
		cmocka_unit_test(test_req_out_too_small),
		cmocka_unit_test(test_rsp_plain_unchanged),
		cmocka_unit_test(test_rsp_hop_by_hop_removed),
		cmocka_unit_test(test_rsp_close),
		cmocka_unit_test(test_rsp_http10_keep_alive),
		cmocka_unit_test(test_rsp_upgrade),
		cmocka_unit_test(test_rsp_obs_fold),
		cmocka_unit_test(test_rsp_connection_cannot_strip_framing),
		cmocka_unit_test(test_rsp_out_too_small),
		cmocka_unit_test(test_error_replies),
		cmocka_unit_test(test_error_reply_unknown_is_500),
		cmocka_unit_test(test_error_reply_stable),
		cmocka_unit_test(test_req_line_grammar),
		cmocka_unit_test(test_req_target_length),
		cmocka_unit_test(test_req_field_grammar),
		cmocka_unit_test(test_req_host_grammar),
		cmocka_unit_test(test_req_line_endings),
		cmocka_unit_test(test_rsp_status_line_grammar),
		cmocka_unit_test(test_rsp_field_grammar),
		cmocka_unit_test(test_token_chars),
		cmocka_unit_test(test_length_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
