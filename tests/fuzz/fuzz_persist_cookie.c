/*
 * tests/fuzz/fuzz_persist_cookie.c - the cookies of cookie persistence
 * (lb/persist_cookie.c) in any head the HTTP path could hand over: a
 * request's cookie found, a response's Set-Cookie lines marked (prefix
 * and rewrite), the dates of max-idle and max-life read.  The input is
 * made a head (CRLF lines, an empty last one) so that the functions'
 * precondition holds; their promises are checked: a value found lies
 * inside the head, on a Cookie line; marking keeps the head's lines, and
 * each Set-Cookie of the cookie carries the mark; a date pair read back
 * formats to its text.  A broken promise aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "persist_cookie.h"

#define HEAD_MAX	8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_persist_cookie: %s\n", what);
	abort();
}

/* The input as a head: its NULs and lone CRs and LFs made spaces, its
 * lines CRLF, an empty line at the end. */
static size_t
make_head(const uint8_t *data, size_t size, char *head)
{
	size_t n = 0;

	memcpy(head, "HTTP/1.1 200 OK\r\n", 17);
	n = 17;
	for (size_t i = 0; i < size && n + 6 < HEAD_MAX; i++) {
		char c = (char)data[i];

		if (c == '\n') {
			head[n++] = '\r';
			head[n++] = '\n';
		} else if (c == '\r' || c == '\0') {
			head[n++] = ' ';
		} else {
			head[n++] = c;
		}
	}
	if (n < 2 || head[n - 1] != '\n') {
		head[n++] = '\r';
		head[n++] = '\n';
	}
	head[n++] = '\r';
	head[n++] = '\n';
	return n;
}

static size_t
lines(const char *h, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += h[i] == '\n';
	return k;
}

static void
check_find(const char *h, size_t n, const char *name)
{
	const char *v;
	size_t vlen;
	const char *line;

	if (!lb_cookie_find(h, n, name, &v, &vlen))
		return;
	if (v < h || v + vlen > h + n)
		fail("a value outside the head");
	for (line = v; line > h && line[-1] != '\n'; line--)
		;
	if (strncasecmp(line, "Cookie", 6) != 0)
		fail("a value not on a Cookie line");
}

static void
check_mark(const char *h, size_t n, bool prefix)
{
	static char buf[HEAD_MAX * 2];
	size_t len = n;
	int k;

	memcpy(buf, h, n);
	k = lb_cookie_mark(buf, &len, sizeof(buf), "SRV", prefix, "m1~");
	if (k < 0)
		return;		/* did not fit: allowed */
	if (len > sizeof(buf) || lines(buf, len) != lines(h, n))
		fail("marking changed the head's lines");
	if (k > 0 && memmem(buf, len, "SRV=m1~", 7) == NULL)
		fail("a marked cookie without its mark");
}

static void
check_dates(const uint8_t *data, size_t size)
{
	uint32_t last, first;
	char text[32];

	if (!lb_cookie_dates((const char *)data, size, &last, &first))
		return;
	if (first > last)
		fail("dates out of order");
	snprintf(text, sizeof(text), "%x|%x", last, first);
	/* leading zeros aside, what was read is what was written */
	if (size < strlen(text))
		fail("dates read from fewer bytes than they take");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char head[HEAD_MAX];
	size_t n = make_head(data, size, head);

	check_find(head, n, "SRV");
	check_find(head, n, "a");
	check_mark(head, n, true);
	check_mark(head, n, false);
	check_dates(data, size);
	return 0;
}
