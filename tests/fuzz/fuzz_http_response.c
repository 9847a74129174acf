/*
 * tests/fuzz/fuzz_http_response.c - what a member answers, through the
 * path edged's data path takes: llhttp (strict) with the checks
 * lb/http_response.c hooks into it (lb_rsp_settings), then
 * lb_http_rewrite_response on each final head, as lb_rsp_parse drives
 * them.  The first byte of the input chooses the request it answers (HEAD
 * or not) and the client's side (keep-alive, HTTP/1.0, an upgrade); the
 * rest is the member's bytes.
 *
 * The promises checked (a broken one aborts): a head the rewrite accepts
 * comes out as a head that llhttp parses again to the same status,
 * version and framing, and that the rewrite accepts again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "buf.h"
#include "http.h"
#define FUZZ_TARGET "fuzz_http_response"
#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lb/session.c's lb_rsp_settings, over a struct parse (fuzz_http.h) */
static const llhttp_settings_t rsp_settings = {
	.on_header_field = header_field,
	.on_header_field_complete = header_field_complete,
	.on_headers_complete = headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = message_complete,
};

/* ---- the promises ---- */

static void
check_rewritten(const llhttp_t *orig, const struct lb_http_rsp_opts *o,
    const char *out, size_t outlen)
{
	static char again[LB_BUF_SIZE];
	struct parse ps = { .pause = PAUSE_NONE, .is_head = true };
	llhttp_errno_t e;
	llhttp_t p;

	llhttp_init(&p, HTTP_RESPONSE, &rsp_settings);
	p.data = &ps;
	e = llhttp_execute(&p, out, outlen);
	if (e != HPE_PAUSED || ps.pause != PAUSE_HEAD ||
	    llhttp_get_error_pos(&p) != out + outlen)
		fail("llhttp refuses the rewritten head", out, outlen);
	if (p.status_code != orig->status_code ||
	    p.http_major != orig->http_major ||
	    p.http_minor != orig->http_minor ||
	    (p.flags & F_CHUNKED) != (orig->flags & F_CHUNKED) ||
	    ((orig->flags & F_CONTENT_LENGTH) &&
	    p.content_length != orig->content_length))
		fail("the rewritten head means another response", out, outlen);
	if (lb_http_rewrite_response(out, outlen, o, again, sizeof(again)) < 0)
		fail("the rewrite refuses its own output", out, outlen);
}

/* Returns false when edged would answer 502 and close. */
static bool
on_head(const llhttp_t *p, const struct lb_http_rsp_opts *client,
    const char *head, size_t len)
{
	static char out[LB_BUF_SIZE];
	struct lb_http_rsp_opts o = *client;
	int status = p->status_code, n;

	if (status >= 100 && status < 200 && status != 101)
		return true;		/* interim: passed on as it is */
	if (status == 101 && !o.upgrade)
		return false;
	o.upgrade = status == 101;
	o.keep_alive = o.keep_alive && !o.upgrade &&
	    !llhttp_message_needs_eof(p);
	n = lb_http_rewrite_response(head, len, &o, out, sizeof(out));
	if (n < 0)
		return false;
	check_rewritten(p, &o, out, (size_t)n);
	return !o.upgrade;		/* a tunnel from here on */
}

/* ---- the response loop of lb/http_response.c (lb_rsp_parse) ---- */

struct loop {
	llhttp_t p;
	struct parse ps;
	struct lb_http_rsp_opts client;
	const char *data;
	size_t size, pos, head_start;
	bool kick;
};

static bool
step(struct loop *l)
{
	llhttp_errno_t e;

	l->kick = false;
	l->ps.pause = PAUSE_NONE;
	e = llhttp_execute(&l->p, l->data + l->pos, l->size - l->pos);
	if (e == HPE_OK) {
		l->pos = l->size;
		return false;
	}
	if (e != HPE_PAUSED)
		return false;
	l->pos = (size_t)(llhttp_get_error_pos(&l->p) - l->data);
	llhttp_resume(&l->p);
	if (l->ps.pause == PAUSE_MESSAGE) {
		l->head_start = l->pos;
		/* the final response ends the transaction */
		return l->p.status_code < 200;
	}
	if (l->pos - l->head_start >= LB_BUF_SIZE - LB_BUF_RESERVE)
		return false;		/* 502 */
	l->kick = true;
	return on_head(&l->p, &l->client, l->data + l->head_start,
	    l->pos - l->head_start);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loop l = { 0 };

	if (size < 1)
		return 0;
	l.ps.is_head = data[0] & 1;
	l.client.keep_alive = (data[0] & 2) != 0;
	l.client.client_http10 = (data[0] & 4) != 0;
	l.client.upgrade = (data[0] & 8) != 0;
	l.data = (const char *)data + 1;
	l.size = size - 1;
	llhttp_init(&l.p, HTTP_RESPONSE, &rsp_settings);
	l.p.data = &l.ps;
	while ((l.pos < l.size || l.kick) && step(&l))
		;
	return 0;
}
