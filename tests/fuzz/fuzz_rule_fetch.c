/*
 * tests/fuzz/fuzz_rule_fetch.c - the fetches of application rules
 * (lb/rule_fetch.c) on the heads the data path would evaluate rules on.
 * The input goes through llhttp (strict) with edged's callbacks twice: as
 * a client's requests (pipelined, as fuzz_http_request drives them) and
 * as a member's responses; each head that lb_http_rewrite_request or
 * _response accepts is indexed, and every fetch is called on it.
 *
 * The promises checked (a broken one aborts): the index takes every head
 * the rewrite accepts (-431/-502 only beyond LB_FETCH_MAX_FIELDS fields);
 * every span a fetch returns lies inside the head; the target is the
 * rewrite's; path and query are parts of it; values are trimmed, hdr()
 * elements hold no comma and cookie values no ';' or ','; occurrence
 * counts, 1 and -1 agree with iterating.  And the header edits that go
 * through the index (lb/rule_edit.c, lb_edit_ix_*: del of the first
 * field's name, set of the last's, add) leave the head the scan-based
 * edits leave, and the index what indexing that head again gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "buf.h"
#include "http.h"
#include "rule_edit.h"
#include "rule_fetch.h"
#define FUZZ_TARGET "fuzz_rule_fetch"
#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const llhttp_settings_t req_settings = {
	.on_url = lb_http_on_url,
	.on_url_complete = lb_http_on_url_complete,
	.on_header_field = header_field,
	.on_header_field_complete = header_field_complete,
	.on_headers_complete = headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = message_complete,
};

static const llhttp_settings_t rsp_settings = {
	.on_header_field = header_field,
	.on_header_field_complete = header_field_complete,
	.on_headers_complete = headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = message_complete,
};

/* ---- the promises ---- */

static void
check_inside(const struct lb_head_index *ix, const char *p, size_t len,
    const char *what)
{
	if (p < ix->head || len > ix->len ||
	    (size_t)(p - ix->head) > ix->len - len)
		fail(what, ix->head, ix->len);
}

static void
check_trimmed(const struct lb_head_index *ix, const char *p, size_t len)
{
	if (len > 0 && (p[0] == ' ' || p[0] == '\t' || p[len - 1] == ' ' ||
	    p[len - 1] == '\t'))
		fail("a value is not trimmed", ix->head, ix->len);
}

static void
check_no(const struct lb_head_index *ix, const char *p, size_t len,
    const char *bytes, const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (strchr(bytes, p[i]) != NULL && p[i] != '\0')
			fail(what, ix->head, ix->len);
}

/* Iterates it: every occurrence inside, trimmed, without bad bytes;
 * occ 1, -1 and the counts agree. */
static unsigned
check_iter(const struct lb_fetch_iter *start, const char *bad)
{
	const struct lb_head_index *ix = start->ix;
	struct lb_fetch_iter it = *start;
	const char *p, *first = NULL, *last = NULL, *q;
	size_t len, flen = 0, llen = 0, qlen;
	unsigned n = 0;

	while (lb_fetch_next(&it, &p, &len)) {
		check_inside(ix, p, len, "an occurrence lies outside the head");
		check_trimmed(ix, p, len);
		check_no(ix, p, len, bad, "an occurrence holds a delimiter");
		if (n++ == 0) {
			first = p;
			flen = len;
		}
		last = p;
		llen = len;
	}
	if (lb_fetch_occ(start, 1, &q, &qlen) != (n > 0) ||
	    (n > 0 && (q != first || qlen != flen)))
		fail("occurrence 1 is not the first", ix->head, ix->len);
	if (lb_fetch_occ(start, -1, &q, &qlen) != (n > 0) ||
	    (n > 0 && (q != last || qlen != llen)))
		fail("occurrence -1 is not the last", ix->head, ix->len);
	if (lb_fetch_occ(start, (int)n + 1, &q, &qlen) ||
	    lb_fetch_occ(start, -(int)n - 1, &q, &qlen) ||
	    lb_fetch_occ(start, 0, &q, &qlen))
		fail("an occurrence past the end", ix->head, ix->len);
	return n;
}

/* hdr, fhdr and their counts for the name [name, name + len). */
static void
check_name(const struct lb_head_index *ix, const char *name, size_t len)
{
	struct lb_fetch_iter it;

	lb_fetch_iter_hdr(&it, ix, name, len);
	if (check_iter(&it, ",") != lb_fetch_hdr_cnt(ix, name, len))
		fail("hdr_cnt is not the hdr() count", ix->head, ix->len);
	lb_fetch_iter_init(&it, ix, LB_FETCH_WHOLE, name, len);
	if (check_iter(&it, "") != lb_fetch_fhdr_cnt(ix, name, len))
		fail("fhdr_cnt is not the fhdr() count", ix->head, ix->len);
	lb_fetch_iter_cook(&it, ix, name, len);
	check_iter(&it, ";,");
}

static void
check_fields(const struct lb_head_index *ix)
{
	static const char *const names[] = { "host", "cookie", "SESSION",
	    "x-forwarded-for", "" };

	for (unsigned i = 0; i < ix->nfields; i++) {
		const struct lb_fetch_field *f = &ix->field[i];

		if (f->name.off == LB_FETCH_NONE ||
		    f->value.off == LB_FETCH_NONE)
			fail("a field without a span", ix->head, ix->len);
		check_inside(ix, ix->head + f->name.off, f->name.len,
		    "a field name lies outside the head");
		check_inside(ix, ix->head + f->value.off, f->value.len,
		    "a field value lies outside the head");
		check_trimmed(ix, ix->head + f->value.off, f->value.len);
		check_name(ix, ix->head + f->name.off, f->name.len);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_name(ix, names[i], strlen(names[i]));
}

/* url_param with no name, a fixed name, and the query's first name. */
static void
check_params(const struct lb_head_index *ix, const char *q, size_t qlen)
{
	const char *eq = memchr(q, '=', qlen), *p;
	size_t len, nlen = eq != NULL ? (size_t)(eq - q) : 0;

	if (lb_fetch_url_param(ix, "", 0, false, &p, &len))
		check_inside(ix, p, len, "url_param lies outside the head");
	if (lb_fetch_url_param(ix, "id", 2, true, &p, &len))
		check_inside(ix, p, len, "url_param lies outside the head");
	if (lb_fetch_url_param(ix, q, nlen, false, &p, &len)) {
		check_inside(ix, p, len, "url_param lies outside the head");
		check_no(ix, p, len, "&;#", "url_param holds a delimiter");
	}
}

static void
check_request(const struct lb_head_index *ix,
    const struct lb_http_req_info *info)
{
	const char *m = NULL, *u = NULL, *p, *q, *v = NULL;
	size_t mlen = 0, ulen = 0, plen, qlen, vlen = 0;

	if (!lb_fetch_method(ix, &m, &mlen) || !lb_fetch_url(ix, &u, &ulen) ||
	    !lb_fetch_req_ver(ix, &v, &vlen))
		fail("a request line without method, url or version",
		    ix->head, ix->len);
	check_inside(ix, m, mlen, "the method lies outside the head");
	check_inside(ix, v, vlen, "the version lies outside the head");
	if (u != ix->head + info->url_off || ulen != info->url_len)
		fail("the url is not the rewrite's target", ix->head, ix->len);
	if (lb_fetch_path(ix, &p, &plen) && (p < u || p + plen > u + ulen ||
	    plen == 0 || p[0] != '/' || memchr(p, '?', plen) != NULL ||
	    memchr(p, '#', plen) != NULL))
		fail("the path is no path of the url", ix->head, ix->len);
	if (lb_fetch_query(ix, &q, &qlen)) {
		if (q <= u || q + qlen > u + ulen || q[-1] != '?' ||
		    memchr(q, '#', qlen) != NULL)
			fail("the query is no query of the url", ix->head,
			    ix->len);
		check_params(ix, q, qlen);
	}
	check_fields(ix);
}

/* Field lines of a head the rewrite accepted: its CRLFs, less two. */
static unsigned
count_fields(const char *head, size_t len)
{
	unsigned n = 0;

	for (size_t i = 0; i + 1 < len; i++)
		if (head[i] == '\r' && head[i + 1] == '\n')
			n++;
	return n - 2;
}

/* ---- header edits through the index ---- */

static int
index_of(struct lb_head_index *ix, const char *head, size_t len,
    bool response)
{
	return response ? lb_head_index_response(ix, head, len) :
	    lb_head_index(ix, head, len);
}

/* ix (of buf) is what indexing buf again gives, and buf is want. */
static void
check_same(const struct lb_head_index *ix, const char *buf, size_t len,
    const char *want, size_t wlen, bool response)
{
	static struct lb_head_index again;

	if (len != wlen || memcmp(buf, want, len) != 0)
		fail("an edit through the index is not the scan's", buf, len);
	if (index_of(&again, buf, len, response) != 0 ||
	    ix->nfields != again.nfields || ix->len != again.len ||
	    memcmp(ix->field, again.field, ix->nfields *
	    sizeof(ix->field[0])) != 0)
		fail("an edit left the index out of step", buf, len);
}

static void
check_edits(const char *head, size_t len, bool response)
{
	static char a[LB_BUF_SIZE], b[LB_BUF_SIZE];
	static struct lb_head_index ix;
	char first[64], last[64];
	size_t alen = len, blen = len;
	int ra, rb;

	memcpy(a, head, len);
	memcpy(b, head, len);
	if (index_of(&ix, a, alen, response) != 0 || ix.nfields == 0 ||
	    ix.field[0].name.len >= sizeof(first) ||
	    ix.field[ix.nfields - 1].name.len >= sizeof(last))
		return;
	snprintf(first, sizeof(first), "%.*s", (int)ix.field[0].name.len,
	    a + ix.field[0].name.off);
	snprintf(last, sizeof(last), "%.*s",
	    (int)ix.field[ix.nfields - 1].name.len,
	    a + ix.field[ix.nfields - 1].name.off);
	(void)lb_edit_ix_del(&ix, a, &alen, first, strlen(first));
	(void)lb_edit_del(b, &blen, first, strlen(first));
	check_same(&ix, a, alen, b, blen, response);
	ra = lb_edit_ix_set(&ix, a, &alen, sizeof(a), last, strlen(last),
	    "edged", 5);
	rb = lb_edit_set(b, &blen, sizeof(b), last, strlen(last), "edged", 5);
	if (ra != rb && ix.nfields < LB_FETCH_MAX_FIELDS)
		fail("set through the index fails where the scan's works", a,
		    alen);
	if (ra == 0)
		check_same(&ix, a, alen, b, blen, response);
}

static bool
on_request(const llhttp_t *p, const char *head, size_t len)
{
	static char out[LB_BUF_SIZE];
	static struct lb_head_index ix;
	struct lb_http_req_info info;
	struct lb_http_req_opts o = {
		.upgrade = p->upgrade != 0,
		.chunked = (p->flags & F_CHUNKED) != 0,
		.te = (p->flags & F_TRANSFER_ENCODING) != 0,
	};
	int r;

	if (lb_http_rewrite_request(head, len, &o, out, sizeof(out),
	    &info) < 0)
		return false;
	r = lb_head_index(&ix, head, len);
	if (r == -431 && count_fields(head, len) > LB_FETCH_MAX_FIELDS)
		return false;
	if (r != 0)
		fail("the index refuses a head the rewrite took", head, len);
	check_request(&ix, &info);
	check_edits(head, len, false);
	return p->method != HTTP_CONNECT;
}

static bool
on_response(const llhttp_t *p, const char *head, size_t len)
{
	static char out[LB_BUF_SIZE];
	static struct lb_head_index ix;
	struct lb_http_rsp_opts o = { .keep_alive = true };
	const char *s;
	size_t slen;
	unsigned st;
	int r;

	if (lb_http_rewrite_response(head, len, &o, out, sizeof(out)) < 0)
		return false;
	r = lb_head_index_response(&ix, head, len);
	if (r == -502 && count_fields(head, len) > LB_FETCH_MAX_FIELDS)
		return false;
	if (r != 0)
		fail("the index refuses a head the rewrite took", head, len);
	if (!lb_fetch_status(&ix, &st) || st != p->status_code)
		fail("status is not llhttp's", head, len);
	if (lb_fetch_method(&ix, &s, &slen) || lb_fetch_url(&ix, &s, &slen))
		fail("a response with a request line", head, len);
	check_fields(&ix);
	check_edits(head, len, true);
	return p->status_code < 200;
}

/* ---- the loops of lb/http_request.c and lb/http_response.c ---- */

struct loop {
	llhttp_t p;
	struct parse ps;
	const char *data;
	size_t size, pos, start;
	bool kick;
	bool response;
};

/* Returns false when the connection would end. */
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
		l->start = l->pos;
		return !l->response || l->p.status_code < 200;
	}
	if (l->pos - l->start >= LB_BUF_SIZE - LB_BUF_RESERVE)
		return false;		/* 431, 502 */
	l->kick = true;
	return l->response ? on_response(&l->p, l->data + l->start,
	    l->pos - l->start) : on_request(&l->p, l->data + l->start,
	    l->pos - l->start);
}

static void
run(const uint8_t *data, size_t size, bool response)
{
	struct loop l = { .data = (const char *)data, .size = size,
	    .response = response };

	llhttp_init(&l.p, response ? HTTP_RESPONSE : HTTP_REQUEST,
	    response ? &rsp_settings : &req_settings);
	l.p.data = &l.ps;
	while ((l.pos < l.size || l.kick) && step(&l))
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, false);
	run(data, size, true);
	return 0;
}
