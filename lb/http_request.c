/*
 * lb/http_request.c - the request of an HTTP transaction, as the client
 * sends it:
 *
 *   bytes -> llhttp (strict) -> head whole: the application rules run
 *   on a copy (answer, change it, choose the pool) -> checked and
 *   rewritten (X-Forwarded-For, Connection), its hash key found ->
 *   LB_DISPATCH -> body parsed as it streams (chunked, trailers) ->
 *   request done
 *
 * The session reads and writes; this file only says what the bytes are.
 * The rewritten head waits in the thread's scratch until the session has
 * picked a member, then lb_req_commit puts it in place of the one read.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "http.h"
#include "http_parse.h"
#include "log.h"
#include "rule_run.h"
#include "session.h"
#include "transport_tls.h"

/* ---- llhttp callbacks: they stop the parser where the proxy has
 * something to decide, and refuse what llhttp lets through but edged does
 * not forward (http_parse.h; lb_http_rewrite_request checks the heads
 * themselves) ---- */

static int
header_field(llhttp_t *p, const char *at, size_t len)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name(p, at, len, &s->req_trailer_name);
}

static int
header_field_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name_complete(p, &s->req_trailer_name);
}

static int
headers_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	s->req_pause = PAUSE_HEAD;
	return HPE_PAUSED;
}

static int
message_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	s->req_pause = PAUSE_MESSAGE;
	return HPE_PAUSED;
}

const llhttp_settings_t lb_req_settings = {
	.on_url = lb_http_on_url,
	.on_url_complete = lb_http_on_url_complete,
	.on_header_field = header_field,
	.on_header_field_complete = header_field_complete,
	.on_headers_complete = headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = message_complete,
};

/* ---- the head ---- */

/* The hash key of the request, per the pool's algorithm. */
static void
request_key(struct lb_session *s, const char *head,
    const struct lb_http_req_info *info, struct lb_dispatch *d)
{
	const struct lb_pool_conf *pc = s->pool->conf;
	const char *url = head + info->url_off;

	d->key = NULL;
	d->keylen = 0;
	switch (pc->algo) {
	case LB_ALGO_IP_HASH:
		lb_key_addr(&s->peer.sa, &d->key, &d->keylen);
		break;
	case LB_ALGO_URI:
		if (!lb_key_uri(url, info->url_len, pc->uri_length,
		    pc->uri_depth, &d->key, &d->keylen))
			d->key = NULL;
		break;
	case LB_ALGO_URL_PARAM:
		if (!lb_key_url_param(url, info->url_len, pc->key_name,
		    &d->key, &d->keylen))
			d->key = NULL;
		break;
	case LB_ALGO_HEADER:
		if (info->has_key) {
			d->key = head + info->key_off;
			d->keylen = info->key_len;
		}
		break;
	default:
		break;
	}
}

/* The method of the request line at head, as llhttp numbers it: the
 * rules may have changed the one llhttp read.  -1 for one that matters
 * to none of the flags. */
static int
head_method(const char *head)
{
	static const struct {
		const char *name;
		int method;
	} methods[] = {
		{ "GET ", HTTP_GET }, { "HEAD ", HTTP_HEAD },
		{ "OPTIONS ", HTTP_OPTIONS }, { "TRACE ", HTTP_TRACE },
		{ "PUT ", HTTP_PUT }, { "DELETE ", HTTP_DELETE },
		{ "CONNECT ", HTTP_CONNECT },
	};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strncmp(head, methods[i].name,
		    strlen(methods[i].name)) == 0)
			return methods[i].method;
	return -1;
}

static void
request_flags(struct lb_session *s, const struct lb_http_req_info *info,
    int m)
{
	llhttp_t *p = &s->reqp;

	s->http10 = info->http10;
	s->keep_alive = info->keep_alive;
	s->is_head = m == HTTP_HEAD;
	s->idempotent = s->is_head || m == HTTP_GET || m == HTTP_OPTIONS ||
	    m == HTTP_TRACE || m == HTTP_PUT || m == HTTP_DELETE;
	s->upgrade = llhttp_get_upgrade(p);
	s->has_body = (p->flags & F_CHUNKED) || p->content_length > 0;
}

/* The request line, for the access log only. */
static void
keep_request_line(struct lb_session *s, const char *head)
{
	size_t n = strcspn(head, "\r");

	s->reqline = strndup(head, n < 1024 ? n : 1023);
}

/* ---- application rules ---- */

void
lb_req_rule_input(struct lb_session *s, struct lb_rule_input *in,
    union lb_sockaddr *local)
{
	size_t nvars = lb_rules_nvars(s->vs->rules);

	/* made once per connection, for the rules that have variables;
	 * out of memory, set-var does nothing */
	if (nvars > 0 && s->vars == NULL &&
	    (s->vars = calloc(nvars, sizeof(*s->vars))) != NULL)
		s->nvars = nvars;
	if (s->tracks == NULL && lb_rules_track(s->vs->rules))
		s->tracks = calloc(LB_TRACKERS, sizeof(*s->tracks));
	*in = (struct lb_rule_input){ .src = &s->peer.sa,
	    .ssl = s->vs->tls != NULL, .hits = s->t->ctr_rule,
	    .vars = s->vars, .sticks = s->t->rt->sticks,
	    .tracks = s->tracks, .now_ms = clock_coarse_ms() };
	if (in->ssl)
		in->sni = lb_tls_sni(&s->cli);
	if (lb_rules_need_dst(s->vs->rules) && lb_session_local(s, local))
		in->dst = &local->sa;
}

void
lb_conn_rules(struct lb_session *s, const char *sni)
{
	union lb_sockaddr local;
	struct lb_rule_input in;
	struct lb_rule_outcome o;

	lb_req_rule_input(s, &in, &local);
	in.sni = sni;
	lb_rules_connection(s->vs->rules, &in, &o);
	if (o.pool >= 0)
		s->pool = &s->t->rt->pools[o.pool];
}

/* The Location and cookie of a redirect, as header lines. */
static int
redirect_headers(const struct lb_rule_outcome *o, char *buf, size_t size)
{
	int n = snprintf(buf, size, "Location: %s\r\n", o->location);

	if (n > 0 && (size_t)n < size && o->cookie != NULL)
		n += snprintf(buf + n, size - (size_t)n, "Set-Cookie: %s%s\r\n",
		    o->cookie, o->clear_cookie ? "; Max-Age=0" : "");
	if (n < 0 || (size_t)n >= size || strpbrk(o->location, "\r\n") ||
	    (o->cookie != NULL && strpbrk(o->cookie, "\r\n")))
		return -1;
	return 0;
}

struct lb_next
lb_req_rule_reply(struct lb_session *s, const struct lb_rule_outcome *o)
{
	char hdrs[LB_RULE_LOCATION_MAX + 512] = "";
	const char *body = NULL, *ctype = NULL;
	size_t blen = 0;
	int n = 0;

	if (o->verdict == LB_RULES_RETURN) {
		body = o->body;
		blen = o->body_len;
		ctype = o->content_type;
	} else if (o->verdict == LB_RULES_REDIRECT) {
		body = "";
		n = redirect_headers(o, hdrs, sizeof(hdrs));
	}
	if (n == 0)
		n = lb_http_rule_reply(s->t->scratch, LB_BUF_SIZE, o->status,
		    hdrs, ctype, body, blen, s->is_head);
	if (n < 0) {
		log_warn("virtual-server %s: an application rule's answer "
		    "%d does not fit or holds CR or LF; answering 500",
		    s->vs->conf->name, o->status);
		return lb_next_reply(500);
	}
	return lb_next_reply_text(o->status, s->t->scratch, (size_t)n);
}

/* The request rules on a copy of the head (*head, *len): LB_GO with
 * *head the copy, changed, and s->pool use_backend's; or a reply. */
static struct lb_next
run_rules(struct lb_session *s, const char **head, size_t *len)
{
	char *h = s->t->rules_head;
	union lb_sockaddr local;
	struct lb_rule_input in;
	struct lb_rule_outcome o;
	char peer[INET6_ADDRSTRLEN];

	lb_req_rule_input(s, &in, &local);
	memcpy(h, *head, *len);
	lb_rules_request(s->vs->rules, &in, h, len,
	    LB_BUF_SIZE - LB_BUF_RESERVE, &o);
	switch (o.verdict) {
	case LB_RULES_PASS:
		if (o.pool >= 0)
			s->pool = &s->t->rt->pools[o.pool];
		*head = h;
		return lb_next(LB_GO);
	case LB_RULES_TARPIT:
		return (struct lb_next){ .what = LB_TARPIT,
		    .status = (uint16_t)o.status };
	case LB_RULES_TOO_BIG:
		addr_fmt(peer, sizeof(peer), &s->peer.sa);
		log_warn("virtual-server %s: client %s: the application rules "
		    "made the request head larger than %d bytes; answering "
		    "500", s->vs->conf->name, peer,
		    LB_BUF_SIZE - LB_BUF_RESERVE);
		return lb_next_reply(500);
	default:
		return lb_req_rule_reply(s, &o);
	}
}

/* ---- the head ---- */

/* A head is whole: run the rules, check and rewrite it into the scratch,
 * find its key.  The buffer keeps the head as read until
 * lb_req_commit. */
static struct lb_next
head(struct lb_session *s, struct lb_dispatch *d)
{
	struct lb_buf *b = &s->req;
	const char *in = b->data + s->msg_start;
	size_t len = b->parsed - s->msg_start;
	char xff[INET6_ADDRSTRLEN];
	struct lb_http_req_opts o = {
		.upgrade = llhttp_get_upgrade(&s->reqp),
		.chunked = (s->reqp.flags & F_CHUNKED) != 0,
		.te = (s->reqp.flags & F_TRANSFER_ENCODING) != 0,
	};
	struct lb_http_req_info info;
	struct lb_next next;
	int n, method;

	s->t_head = lb_now(s);
	s->is_head = llhttp_get_method(&s->reqp) == HTTP_HEAD;
	if (s->vs->conf->access_log[0] != '\0')
		keep_request_line(s, in);
	if (s->vs->rules != NULL &&
	    (next = run_rules(s, &in, &len)).what != LB_GO)
		return next;
	if (s->vs->profile->persist.kind == LB_PERSIST_COOKIE)
		lb_persist_request(s, in, len);
	if (s->pool->conf->algo == LB_ALGO_HEADER)
		o.key_header = s->pool->conf->key_name;
	if (s->vs->profile->xff_insert) {
		addr_fmt(xff, sizeof(xff), &s->peer.sa);
		o.xff = xff;
		o.xfp = s->vs->tls != NULL ? "https" : "http";
	}
	n = lb_http_rewrite_request(in, len, &o, s->t->scratch, LB_BUF_SIZE,
	    &info);
	if (n < 0)
		return lb_next_reply(-n);
	if (s->persist != NULL) {
		size_t hl = (size_t)n;

		if (lb_persist_request_edit(s, s->t->scratch, &hl,
		    LB_BUF_SIZE) < 0)
			return lb_next_reply(431);
		n = (int)hl;
	}
	method = head_method(in);
	request_flags(s, &info, method);
	if (method == HTTP_CONNECT)
		return lb_next_reply(405);
	request_key(s, in, &info, d);
	d->head_len = (uint32_t)n;
	return lb_next(LB_DISPATCH);
}

struct lb_next
lb_req_commit(struct lb_session *s, const struct lb_dispatch *d)
{
	struct lb_buf *b = &s->req;

	if (lb_buf_splice(b, s->msg_start, b->parsed, s->t->scratch,
	    d->head_len) < 0)
		return lb_next_reply(431);
	return lb_next(LB_GO);
}

/* ---- parsing ---- */

/* One llhttp pause: a head to dispatch, or the request's end. */
static struct lb_next
paused(struct lb_session *s, struct lb_dispatch *d)
{
	struct lb_buf *b = &s->req;

	b->parsed = (uint32_t)(llhttp_get_error_pos(&s->reqp) - b->data);
	llhttp_resume(&s->reqp);
	if (s->req_pause == PAUSE_HEAD)
		return head(s, d);
	b->fwd = b->parsed;
	s->req_done = true;
	return lb_next(LB_GO);
}

static struct lb_next
parse_error(struct lb_session *s, llhttp_errno_t e)
{
	char peer[INET6_ADDRSTRLEN];

	addr_fmt(peer, sizeof(peer), &s->peer.sa);
	log_debug("virtual-server %s: client %s: bad request: %s (%s)",
	    s->vs->conf->name, peer, llhttp_errno_name(e),
	    llhttp_get_error_reason(&s->reqp));
	/* before any answer, even a body gone wrong gets its 400 (the
	 * member's connection, which saw part of it, is not reused) */
	if (s->state == SESS_READ_HEAD || !s->rsp_started)
		return lb_next_reply(400);
	return lb_next_close("bad request body");
}

struct lb_next
lb_req_parse(struct lb_session *s, struct lb_dispatch *d)
{
	struct lb_buf *b = &s->req;
	/* After a head, llhttp must run once more even with no byte left:
	 * that is when it sees that a message has no body and ends it.  A
	 * head stops this loop (LB_DISPATCH): that run comes when the
	 * session calls again, and the pause is still the head's. */
	bool kick = s->req_pause == PAUSE_HEAD;

	while (!s->req_done && (b->parsed < b->len || kick) &&
	    (s->state == SESS_READ_HEAD || s->state == SESS_FORWARD)) {
		llhttp_errno_t e;
		struct lb_next n;

		kick = false;
		s->req_pause = PAUSE_NONE;
		e = llhttp_execute(&s->reqp, b->data + b->parsed,
		    b->len - b->parsed);
		if (e == HPE_OK) {
			b->parsed = b->len;
			if (s->state == SESS_FORWARD)
				b->fwd = b->parsed;
			else if (b->len - s->msg_start >=
			    LB_BUF_SIZE - LB_BUF_RESERVE)
				return lb_next_reply(431);
		} else if (e == HPE_PAUSED) {
			if ((n = paused(s, d)).what != LB_GO)
				return n;
		} else if (e == HPE_PAUSED_UPGRADE) {
			/* The previous request asked for an upgrade and got a
			 * plain answer instead: what follows is HTTP again. */
			llhttp_resume_after_upgrade(&s->reqp);
			kick = true;
		} else {
			return parse_error(s, e);
		}
	}
	return lb_next(LB_GO);
}
