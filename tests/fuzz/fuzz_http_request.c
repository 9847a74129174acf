/*
 * tests/fuzz/fuzz_http_request.c - what a client sends, through the path
 * edged's data path takes: llhttp (strict) with the checks
 * lb/http_request.c hooks into it, then lb_http_rewrite_request on each
 * head, message after message (pipelining), as lb_req_parse drives them.
 *
 * The promises checked (a broken one aborts): a head the rewrite accepts
 * comes out as a head that llhttp parses again to the same method, target,
 * version and framing, and that the rewrite accepts again; what info
 * points at lies inside the head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "buf.h"
#include "http.h"
#define FUZZ_TARGET "fuzz_http_request"
#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lb/session.c's lb_req_settings, over a struct parse (fuzz_http.h) */
static const llhttp_settings_t req_settings = {
	.on_url = lb_http_on_url,
	.on_url_complete = lb_http_on_url_complete,
	.on_header_field = header_field,
	.on_header_field_complete = header_field_complete,
	.on_headers_complete = headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = message_complete,
};

/* ---- the promises ---- */

static struct lb_http_req_opts
opts_of(const llhttp_t *p, bool xff)
{
	struct lb_http_req_opts o = {
		.key_header = "X-Key",
		.upgrade = p->upgrade != 0,
		.chunked = (p->flags & F_CHUNKED) != 0,
		.te = (p->flags & F_TRANSFER_ENCODING) != 0,
	};

	if (xff) {
		o.xff = "2001:db8::1";
		o.xfp = "https";
	}
	return o;
}

/* Parses a rewritten head alone; false if llhttp refuses it. */
static bool
reparse(const char *head, size_t len, llhttp_t *p)
{
	struct parse ps = { .pause = PAUSE_NONE };
	llhttp_errno_t e;

	llhttp_init(p, HTTP_REQUEST, &req_settings);
	p->data = &ps;
	e = llhttp_execute(p, head, len);
	return e == HPE_PAUSED && ps.pause == PAUSE_HEAD &&
	    llhttp_get_error_pos(p) == head + len;
}

static void
check_info(const struct lb_http_req_info *info, const char *head,
    size_t len)
{
	if ((size_t)info->url_off + info->url_len > len || info->url_len == 0)
		fail("the target lies outside the head", head, len);
	if (info->has_key && (size_t)info->key_off + info->key_len > len)
		fail("the key lies outside the head", head, len);
}

/* What the rewrite made of a head: the same request to llhttp. */
static void
check_rewritten(const llhttp_t *orig, const char *in, size_t inlen,
    const struct lb_http_req_info *info, const char *out, size_t outlen)
{
	static char again[LB_BUF_SIZE];
	struct lb_http_req_info info2;
	struct lb_http_req_opts o;
	llhttp_t p;

	if (!reparse(out, outlen, &p))
		fail("llhttp refuses the rewritten head", out, outlen);
	if (p.method != orig->method ||
	    p.http_major != orig->http_major ||
	    p.http_minor != orig->http_minor ||
	    (p.flags & F_CHUNKED) != (orig->flags & F_CHUNKED) ||
	    ((orig->flags & F_CONTENT_LENGTH) &&
	    p.content_length != orig->content_length))
		fail("the rewritten head means another request", out, outlen);
	o = opts_of(&p, false);
	if (lb_http_rewrite_request(out, outlen, &o, again, sizeof(again),
	    &info2) < 0)
		fail("the rewrite refuses its own output", out, outlen);
	if (info2.url_len != info->url_len || memcmp(out + info2.url_off,
	    in + info->url_off, info->url_len) != 0)
		fail("the target changed in the rewrite", in, inlen);
}

/* Returns false when edged would answer the request itself and close. */
static bool
on_head(const llhttp_t *p, const char *head, size_t len)
{
	static char out[LB_BUF_SIZE];
	struct lb_http_req_info info;
	struct lb_http_req_opts o = opts_of(p, true);
	int n;

	n = lb_http_rewrite_request(head, len, &o, out, sizeof(out), &info);
	if (n < 0)
		return false;
	check_info(&info, head, len);
	check_rewritten(p, head, len, &info, out, (size_t)n);
	return p->method != HTTP_CONNECT;
}

/* ---- the request loop of lb/http_request.c (lb_req_parse) ---- */

/* Returns false when the connection would end (an error, a 4xx). */
static bool
step(llhttp_t *p, struct parse *ps, const char *data, size_t size,
    size_t *pos, size_t *msg_start, bool *kick)
{
	llhttp_errno_t e;

	*kick = false;
	ps->pause = PAUSE_NONE;
	e = llhttp_execute(p, data + *pos, size - *pos);
	if (e == HPE_OK) {
		*pos = size;
		return false;
	}
	if (e == HPE_PAUSED_UPGRADE) {
		llhttp_resume_after_upgrade(p);
		*kick = true;
		return true;
	}
	if (e != HPE_PAUSED)
		return false;
	*pos = (size_t)(llhttp_get_error_pos(p) - data);
	llhttp_resume(p);
	if (ps->pause == PAUSE_MESSAGE) {
		*msg_start = *pos;
		return true;
	}
	if (*pos - *msg_start >= LB_BUF_SIZE - LB_BUF_RESERVE)
		return false;		/* 431 */
	*kick = true;
	return on_head(p, data + *msg_start, *pos - *msg_start);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse ps = { .pause = PAUSE_NONE };
	size_t pos = 0, msg_start = 0;
	bool kick = false;
	llhttp_t p;

	llhttp_init(&p, HTTP_REQUEST, &req_settings);
	p.data = &ps;
	while ((pos < size || kick) && step(&p, &ps, (const char *)data,
	    size, &pos, &msg_start, &kick))
		;
	return 0;
}
