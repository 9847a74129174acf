/*
 * lb/forward.c - moving a transaction's bytes, top to bottom:
 *
 *   client readable -> parse request head -> pick member -> connect
 *   -> write request (head rewritten, body streamed as parsed)
 *   -> server readable -> parse response head -> rewrite -> stream body
 *   -> client writable -> response done -> next request or close
 *
 * Every function that can end the session returns -1 when it did, and its
 * caller returns at once: the session is gone.  Which events each side
 * waits for is derived from the state and the buffers in lb_fwd_sync,
 * after every callback, rather than toggled here and there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "health.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "transport_tls.h"

static ev_tstamp
now(const struct lb_session *s)
{
	return ev_now(s->t->loop);
}

static const struct lb_timeouts *
tmo(const struct lb_session *s)
{
	return &s->t->rt->conf->timeouts;
}

#define SEC(ms)	((ev_tstamp)(ms) / 1000.0)

static struct lb_ctr *
vs_ctr(struct lb_session *s)
{
	return &s->t->ctr_vs[s->vs->index];
}

/* Bytes to (in) and from (out) the member, on its pool and itself. */
static void
count_bytes(struct lb_session *s, uint64_t in, uint64_t out)
{
	struct lb_ctr *p = &s->t->ctr_pool[s->pool->index];

	CTR_ADD(p->bytes_in, in);
	CTR_ADD(p->bytes_out, out);
	if (s->member != NULL) {
		struct lb_ctr *m = &s->t->ctr_member[s->member->index];

		CTR_ADD(m->bytes_in, in);
		CTR_ADD(m->bytes_out, out);
	}
}

/* While a head is read, the buffer's last LB_BUF_RESERVE bytes stay free
 * so that rewriting the head (X-Forwarded-For, Connection) has room even
 * when body bytes came in the same read. */
static uint32_t
read_limit(const struct lb_session *s, const struct lb_buf *b)
{
	bool head = b == &s->req ? s->state == SESS_WAIT_REQ ||
	    s->state == SESS_READ_HEAD : s->state == SESS_FORWARD &&
	    !s->rsp_started;

	return head ? LB_BUF_SIZE - LB_BUF_RESERVE : LB_BUF_SIZE;
}

/* ---- the access log ---- */

static void format_peer(const struct lb_session *s, char *buf, size_t size);

static int
ms_between(ev_tstamp from, ev_tstamp to)
{
	return from == 0 || to == 0 ? -1 : (int)((to - from) * 1000 + 0.5);
}

void
lb_fwd_log(struct lb_session *s, const char *term)
{
	struct lb_logger *l = s->t->rt->logger;
	struct lb_log_record r;
	char client[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN], line[2048];
	ev_tstamp end = now(s);
	struct lb_tls_desc tls;
	size_t len;

	if (l == NULL || s->logged || s->vs->conf->access_log[0] == '\0')
		return;
	s->logged = true;
	format_peer(s, addr, sizeof(addr));
	snprintf(client, sizeof(client), s->peer.sa.sa_family == AF_INET6 ?
	    "[%s]:%u" : "%s:%u", addr, ntohs(s->peer.sa.sa_family == AF_INET6 ?
	    s->peer.sin6.sin6_port : s->peer.sin.sin_port));
	r = (struct lb_log_record){ .client = client,
	    .vs = s->vs->conf->name, .pool = s->pool->conf->name,
	    .member = s->mname, .when = s->t_req,
	    .t_request = ms_between(s->t_req, s->t_head), .t_queue = 0,
	    .t_connect = ms_between(s->t_head, s->t_conn),
	    .t_response = ms_between(s->t_conn ? s->t_conn : s->t_head,
	    s->t_rsp), .t_total = ms_between(s->t_req, end),
	    .status = s->status ? s->status : -1, .bytes = s->rsp_bytes,
	    .term = term, .request = s->reqline ? s->reqline : "<BADREQ>" };
	if (s->cli.ops == &lb_transport_tls && s->state != SESS_HANDSHAKE) {
		lb_tls_describe(&s->cli, &tls);
		r.tls_version = tls.version;
		r.tls_cipher = tls.cipher;
		r.sni = tls.sni;
		r.tls_resumed = tls.resumed;
	}
	len = lb_log_format(&r, s->vs->conf->access_log_json, line,
	    sizeof(line));
	lb_log_append(l, &s->t->logbufs[s->vs->index], s->vs->index, line,
	    len);
}

/* What the log says of a reply edged generated, unless the caller said
 * better before (s->term: "RC", the edge itself ran out of descriptors
 * or memory while connecting, connect.c). */
static const char *
reply_term(const struct lb_session *s, int status)
{
	if (s->term != NULL)
		return s->term;
	switch (status) {
	case 408:
		return "cR";
	case 502:
		return "SH";
	case 503:
		return "SC";
	case 504:
		return "sH";
	default:
		return "PR";		/* edged refused the request */
	}
}

/* ---- closing ---- */

/* Closes the client side for writing and reads what it still sends until
 * it closes too (or a second passes), so that unread request bytes do not
 * make the kernel reset the connection under the reply. */
static int
close_client(struct lb_session *s)
{
	if (s->cli_eof) {
		lb_session_end(s, "done");
		return -1;
	}
	s->cli.ops->shutdown_write(&s->cli);
	lb_buf_detach(&s->rsp, &s->t->bufs);
	s->state = SESS_LINGER;
	s->cexp = now(s) + 1.0;
	s->sexp = 0;
	return 0;
}

/* ---- counting ----
 *
 * A request counts once in the virtual server's requests, from the moment
 * edged takes it (a member is to be picked) or answers it itself (400,
 * 408, 431, 503 ...), and once in one response class; the pool counts
 * what reached it in the same way.  So that, for both, requests equals
 * the sum of the classes once traffic is done.
 */

void
lb_fwd_count_request(struct lb_session *s, bool pool)
{
	if (!s->req_counted) {
		s->req_counted = true;
		s->nreq++;
		CTR_ADD(vs_ctr(s)->requests, 1);
	}
	if (pool && !s->pool_counted) {
		s->pool_counted = true;
		CTR_ADD(s->t->ctr_pool[s->pool->index].requests, 1);
	}
}

/* cls: 1-5 for 1xx-5xx, 0 for "other" */
static void
count_class(struct lb_session *s, unsigned cls)
{
	CTR_ADD(vs_ctr(s)->resp[cls], 1);
	if (s->pool_counted)
		CTR_ADD(s->t->ctr_pool[s->pool->index].resp[cls], 1);
}

/* The final status of the transaction, sent by a member or by edged. */
static void
count_status(struct lb_session *s, int status)
{
	unsigned cls = status >= 100 && status < 600 ? status / 100 : 0;

	s->status = status;
	lb_fwd_count_request(s, false);
	count_class(s, cls);
	if (s->member != NULL)
		CTR_ADD(s->t->ctr_member[s->member->index].resp[cls], 1);
}

void
lb_fwd_count_unanswered(struct lb_session *s)
{
	if (s->req_counted && s->status == 0)
		count_class(s, 0);
}

/* ---- generated replies ---- */

/* Sends text (len bytes: a whole response, with Connection: close) as
 * the answer to the transaction, then closes. */
static int
send_reply(struct lb_session *s, int status, const char *text, size_t len)
{
	count_status(s, status);
	s->term = reply_term(s, status);
	if (s->t_head == 0)
		s->t_head = now(s);	/* refused before a whole head */
	if (s->conn != NULL)
		lb_conn_release(s, false);
	lb_member_drop(s);
	lb_buf_detach(&s->rsp, &s->t->bufs);
	if (lb_buf_attach(&s->rsp, &s->t->bufs) < 0) {
		lb_session_end(s, "out of memory");
		return -1;
	}
	memcpy(s->rsp.data, text, len);
	s->rsp.len = s->rsp.parsed = s->rsp.fwd = (uint32_t)len;
	s->rsp_started = true;
	s->keep_alive = false;
	s->state = SESS_REPLY;
	s->cexp = now(s) + SEC(tmo(s)->client);
	s->sexp = 0;
	return 0;
}

int
lb_fwd_reply(struct lb_session *s, int status)
{
	const char *text;
	size_t len;

	if (s->rsp_started) {
		/* a head already went out: all we can do is cut it short */
		lb_session_end(s, "aborted after response start");
		return -1;
	}
	if (s->vs->profile->type == LB_PROFILE_PASSTHROUGH) {
		/* no HTTP to answer with: the client sees the close */
		s->term = reply_term(s, status);
		lb_session_end(s, status == 503 ? "no member reachable" :
		    "server failed");
		return -1;
	}
	text = lb_http_error_reply(status, &len);
	return send_reply(s, status, text, len);
}

/* ---- the end of a transaction ---- */

static int
transaction_end(struct lb_session *s)
{
	lb_fwd_log(s, "--");
	if (s->keep_alive && s->req_done && !s->cli_eof && !s->t->draining)
		return lb_session_next(s);
	return close_client(s);
}

static int
rsp_complete(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;

	s->rsp_done = true;
	/* An answer before the whole request went out: what is left of the
	 * request belongs to no one; neither side can be reused. */
	bool req_all_sent = s->req_done && lb_buf_pending(&s->req) == 0;
	s->srv_reusable = req_all_sent && b->parsed == b->len &&
	    llhttp_should_keep_alive(&s->rspp);
	if (!req_all_sent)
		s->keep_alive = false;
	lb_member_drop(s);
	lb_conn_release(s, s->srv_reusable);
	s->sexp = 0;
	b->len = b->parsed;		/* bytes past the response: junk */
	if (lb_buf_pending(b) == 0)
		return transaction_end(s);
	return 0;
}

/* ---- response head ---- */

/* Replaces [start, end) of b with n bytes of src. */
static int
splice_head(struct lb_buf *b, uint32_t start, uint32_t end, const char *src,
    size_t n)
{
	uint32_t tail = b->len - end;

	if (start + n + tail > LB_BUF_SIZE)
		return -1;
	memmove(b->data + start + n, b->data + end, tail);
	memcpy(b->data + start, src, n);
	b->len = start + (uint32_t)n + tail;
	b->parsed = b->fwd = start + (uint32_t)n;
	return 0;
}

/* A tunnel closes after the longer of the two timeouts with no byte
 * moving either way. */
static void
tunnel_activity(struct lb_session *s)
{
	uint64_t ms = tmo(s)->client > tmo(s)->server ? tmo(s)->client :
	    tmo(s)->server;

	s->cexp = s->sexp = now(s) + SEC(ms);
}

void
lb_fwd_tunnel(struct lb_session *s)
{
	s->state = SESS_TUNNEL;
	s->rsp.parsed = s->rsp.fwd = s->rsp.len;
	s->req.parsed = s->req.fwd = s->req.len;
	tunnel_activity(s);
}

static int
rsp_interim(struct lb_session *s, uint32_t start, uint32_t end)
{
	struct lb_buf *b = &s->rsp;

	if (s->http10)			/* 1.0 clients get no 1xx */
		return splice_head(b, start, end, "", 0);
	b->fwd = end;
	return 0;
}

static int
rsp_head(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	uint32_t start = b->fwd, end = b->parsed;
	int status = llhttp_get_status_code(&s->rspp);
	struct lb_http_rsp_opts o = { .client_http10 = s->http10 };
	int n;

	if (status >= 100 && status < 200 && status != 101)
		return rsp_interim(s, start, end);
	if (status == 101 && !s->upgrade)
		return lb_fwd_reply(s, 502);
	o.upgrade = status == 101;
	s->keep_alive = s->keep_alive && s->req_done && !o.upgrade &&
	    !llhttp_message_needs_eof(&s->rspp) && !s->t->draining;
	o.keep_alive = s->keep_alive;
	n = lb_http_rewrite_response(b->data + start, end - start, &o,
	    s->t->scratch, LB_BUF_SIZE);
	if (n < 0 || splice_head(b, start, end, s->t->scratch, (size_t)n) < 0)
		return lb_fwd_reply(s, 502);
	s->rsp_started = true;
	s->t_rsp = now(s);
	count_status(s, status);
	if (o.upgrade)
		lb_fwd_tunnel(s);
	return 0;
}

static int
rsp_too_large(struct lb_session *s)
{
	log_warn("virtual-server %s: member %s sent a response head larger "
	    "than %d bytes", s->vs->conf->name, s->member ? s->member->name :
	    "-", LB_BUF_SIZE - LB_BUF_RESERVE);
	return lb_fwd_reply(s, 502);
}

static int
rsp_parse_error(struct lb_session *s, llhttp_errno_t e)
{
	log_debug("virtual-server %s: member %s sent an invalid response: %s",
	    s->vs->conf->name, s->member ? s->member->name : "-",
	    llhttp_errno_name(e));
	if (s->member != NULL)
		CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
	return lb_fwd_reply(s, 502);
}

/* One llhttp pause: a head to rewrite, or a message's end. */
static int
rsp_paused(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	bool interim = llhttp_get_status_code(&s->rspp) < 200 &&
	    llhttp_get_status_code(&s->rspp) != 101;

	b->parsed = (uint32_t)(llhttp_get_error_pos(&s->rspp) - b->data);
	llhttp_resume(&s->rspp);
	if (s->rsp_pause == PAUSE_HEAD)
		return rsp_head(s);
	b->fwd = b->parsed;
	if (interim)
		return 0;		/* the final response follows */
	return rsp_complete(s);
}

static int
rsp_parse(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;

	bool kick = false;

	/* After a head, llhttp must run once more even with no byte left:
	 * that is when it sees that a message has no body and ends it. */
	while (!s->rsp_done && s->state == SESS_FORWARD &&
	    (b->parsed < b->len || kick)) {
		llhttp_errno_t e;

		kick = false;
		s->rsp_pause = PAUSE_NONE;
		e = llhttp_execute(&s->rspp, b->data + b->parsed,
		    b->len - b->parsed);
		if (e == HPE_OK) {
			b->parsed = b->len;
			if (s->rsp_started)
				b->fwd = b->parsed;
			else if (b->len - b->fwd >= LB_BUF_SIZE - LB_BUF_RESERVE)
				return rsp_too_large(s);
		} else if (e == HPE_PAUSED) {
			kick = s->rsp_pause == PAUSE_HEAD;
			if (rsp_paused(s) < 0)
				return -1;
		} else {
			return rsp_parse_error(s, e);
		}
	}
	return 0;
}

/* ---- request head ---- */

static void
format_peer(const struct lb_session *s, char *buf, size_t size)
{
	addr_fmt(buf, size, &s->peer.sa);
}

/* The hash key of the request, per the pool's algorithm. */
static void
request_key(struct lb_session *s, const char *head,
    const struct lb_http_req_info *info, const char **key, size_t *len)
{
	const struct lb_pool_conf *pc = s->pool->conf;
	const char *url = head + info->url_off;

	*key = NULL;
	*len = 0;
	switch (pc->algo) {
	case LB_ALGO_IP_HASH:
		lb_key_addr(&s->peer.sa, key, len);
		break;
	case LB_ALGO_URI:
		if (!lb_key_uri(url, info->url_len, pc->uri_length,
		    pc->uri_depth, key, len))
			*key = NULL;
		break;
	case LB_ALGO_URL_PARAM:
		if (!lb_key_url_param(url, info->url_len, pc->key_name, key,
		    len))
			*key = NULL;
		break;
	case LB_ALGO_HEADER:
		if (info->has_key) {
			*key = head + info->key_off;
			*len = info->key_len;
		}
		break;
	default:
		break;
	}
}

static void
request_flags(struct lb_session *s, const struct lb_http_req_info *info)
{
	llhttp_t *p = &s->reqp;

	s->http10 = info->http10;
	s->keep_alive = info->keep_alive;
	s->is_head = llhttp_get_method(p) == HTTP_HEAD;
	s->idempotent = s->is_head || llhttp_get_method(p) == HTTP_GET ||
	    llhttp_get_method(p) == HTTP_OPTIONS ||
	    llhttp_get_method(p) == HTTP_TRACE ||
	    llhttp_get_method(p) == HTTP_PUT ||
	    llhttp_get_method(p) == HTTP_DELETE;
	s->upgrade = llhttp_get_upgrade(p);
	s->has_body = (p->flags & F_CHUNKED) || p->content_length > 0;
}

/* Rewrites the head in place and sends the request to a member. */
static int
req_head(struct lb_session *s)
{
	struct lb_buf *b = &s->req;
	uint32_t start = s->msg_start, end = b->parsed;
	const struct lb_pool_conf *pc = s->pool->conf;
	char xff[INET6_ADDRSTRLEN];
	struct lb_http_req_opts o = {
		.key_header = pc->algo == LB_ALGO_HEADER ? pc->key_name : NULL,
		.upgrade = llhttp_get_upgrade(&s->reqp),
		.chunked = (s->reqp.flags & F_CHUNKED) != 0,
		.te = (s->reqp.flags & F_TRANSFER_ENCODING) != 0,
	};
	struct lb_http_req_info info;
	struct lb_member *m;
	const char *key;
	size_t keylen;
	int n;

	s->t_head = now(s);
	if (s->vs->conf->access_log[0] != '\0')
		s->reqline = strndup(b->data + start, strcspn(b->data + start,
		    "\r") < 1024 ? strcspn(b->data + start, "\r") : 1023);
	if (s->vs->profile->xff_insert) {
		format_peer(s, xff, sizeof(xff));
		o.xff = xff;
		o.xfp = s->vs->tls != NULL ? "https" : "http";
	}
	n = lb_http_rewrite_request(b->data + start, end - start, &o,
	    s->t->scratch, LB_BUF_SIZE, &info);
	if (n < 0)
		return lb_fwd_reply(s, -n);
	if (llhttp_get_method(&s->reqp) == HTTP_CONNECT)
		return lb_fwd_reply(s, 405);
	request_flags(s, &info);
	request_key(s, b->data + start, &info, &key, &keylen);
	lb_fwd_count_request(s, true);
	if ((m = lb_pick_member(s, key, keylen)) == NULL)
		return lb_fwd_reply(s, 503);
	if (splice_head(b, start, end, s->t->scratch, (size_t)n) < 0)
		return lb_fwd_reply(s, 431);
	lb_member_take(s, m);
	s->state = SESS_FORWARD;
	s->cexp = now(s) + SEC(tmo(s)->client);
	return lb_conn_get(s);
}

/* ---- request parsing ---- */

static int
req_paused(struct lb_session *s)
{
	struct lb_buf *b = &s->req;

	b->parsed = (uint32_t)(llhttp_get_error_pos(&s->reqp) - b->data);
	if (s->req_pause == PAUSE_HEAD) {
		llhttp_resume(&s->reqp);
		return req_head(s);
	}
	llhttp_resume(&s->reqp);
	b->fwd = b->parsed;
	s->req_done = true;
	return 0;
}

static int
req_parse_error(struct lb_session *s, llhttp_errno_t e)
{
	char peer[INET6_ADDRSTRLEN];

	format_peer(s, peer, sizeof(peer));
	log_debug("virtual-server %s: client %s: bad request: %s (%s)",
	    s->vs->conf->name, peer, llhttp_errno_name(e),
	    llhttp_get_error_reason(&s->reqp));
	/* before any answer, even a body gone wrong gets its 400 (the
	 * member's connection, which saw part of it, is not reused) */
	if (s->state == SESS_READ_HEAD || !s->rsp_started)
		return lb_fwd_reply(s, 400);
	lb_session_end(s, "bad request body");
	return -1;
}

int
lb_fwd_request(struct lb_session *s)
{
	struct lb_buf *b = &s->req;

	bool kick = false;

	/* see rsp_parse: one more run after a head ends a bodyless one */
	while (!s->req_done && (b->parsed < b->len || kick) &&
	    (s->state == SESS_READ_HEAD || s->state == SESS_FORWARD)) {
		llhttp_errno_t e;

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
				return lb_fwd_reply(s, 431);
		} else if (e == HPE_PAUSED) {
			kick = s->req_pause == PAUSE_HEAD;
			if (req_paused(s) < 0)
				return -1;
		} else if (e == HPE_PAUSED_UPGRADE) {
			/* The previous request asked for an upgrade and got a
			 * plain answer instead: what follows is HTTP again. */
			llhttp_resume_after_upgrade(&s->reqp);
			kick = true;
		} else {
			return req_parse_error(s, e);
		}
	}
	return 0;
}

/* ---- client side I/O ---- */

/* A tunnel's client closed its side: the server gets the FIN once it
 * has every byte before it, and may still answer. */
static void
tunnel_pass_fin(struct lb_session *s)
{
	if (s->state != SESS_TUNNEL || !s->cli_eof || s->srv_shut ||
	    s->conn == NULL || !s->conn->connected ||
	    lb_buf_pending(&s->req) > 0)
		return;
	s->conn->tr.ops->shutdown_write(&s->conn->tr);
	s->srv_shut = true;
}

static void
log_tls_failure(struct lb_session *s, const char *why)
{
	char peer[INET6_ADDRSTRLEN];

	format_peer(s, peer, sizeof(peer));
	log_debug("virtual-server %s: client %s: TLS handshake failed: %s",
	    s->vs->conf->name, peer, why);
}

static void
count_handshake(struct lb_session *s)
{
	struct lb_ctr *c = vs_ctr(s);
	bool resumed, tls13;

	lb_tls_kind(&s->cli, &resumed, &tls13);
	CTR_ADD(c->tls[LB_TLS_HANDSHAKES], 1);
	if (resumed)
		CTR_ADD(c->tls[LB_TLS_RESUMED], 1);
	if (tls13)
		CTR_ADD(c->tls[LB_TLS_V13], 1);
}

/* Plain HTTP on a TLS port: a failed handshake all the same, but the
 * client gets a 400 in plain HTTP that says why (as from nginx and
 * HAProxy), then a clean close, rather than a bare one. */
static int
plain_on_tls(struct lb_session *s)
{
	const char *text;
	size_t len;
	int fd;

	log_tls_failure(s, "plain HTTP sent to a TLS port");
	CTR_ADD(vs_ctr(s)->errors, 1);
	fd = lb_tls_release(&s->cli);
	s->cli = (struct lb_transport){ .ops = &lb_transport_plain, .fd = fd };
	s->t_req = now(s);
	text = lb_http_plain_on_tls_reply(&len);
	return send_reply(s, 400, text, len);
}

/* One step of the TLS handshake; when it is done the session waits for
 * the first request, within what is left of timeout http-request. */
static int
cli_handshake(struct lb_session *s)
{
	char why[160];
	int r = lb_tls_handshake(&s->cli, why, sizeof(why));

	if (r == 0)
		return 0;
	if (r < 0 && lb_tls_plain_http(&s->cli))
		return plain_on_tls(s);
	if (r < 0 && !lb_tls_started(&s->cli)) {
		/* a port probe, or a client that gave up at once */
		lb_session_end(s, "client closed before the handshake");
		return -1;
	}
	if (r < 0) {
		log_tls_failure(s, why);
		CTR_ADD(vs_ctr(s)->errors, 1);
		lb_session_end(s, "TLS handshake failed");
		return -1;
	}
	count_handshake(s);
	s->state = SESS_WAIT_REQ;
	return 0;
}

static int
cli_eof(struct lb_session *s)
{
	s->cli_eof = true;
	switch (s->state) {
	case SESS_FORWARD:
		if (s->req_done)
			return 0;	/* half-close: still send the answer */
		break;
	case SESS_REPLY:
		return 0;
	case SESS_TUNNEL:
		tunnel_pass_fin(s);
		return 0;
	default:
		break;
	}
	lb_session_end(s, "client closed");
	return -1;
}

/* How far the request buffer may move down: past what was written, but
 * never past a head kept for a retry. */
static uint32_t
req_shiftable(const struct lb_session *s)
{
	if (s->state == SESS_FORWARD && !s->req_sent &&
	    s->msg_start < s->req.off)
		return s->msg_start;
	return s->req.off;
}

static bool
req_has_room(const struct lb_session *s)
{
	return s->req.data == NULL || s->req.len < read_limit(s, &s->req) ||
	    req_shiftable(s) > 0;
}

static bool
rsp_has_room(const struct lb_session *s)
{
	return s->rsp.data == NULL || s->rsp.len < read_limit(s, &s->rsp) ||
	    s->rsp.off > 0;
}

/* Room at the end of the request buffer: move unwritten bytes down. */
static void
req_make_room(struct lb_session *s)
{
	uint32_t shift = req_shiftable(s);

	lb_buf_shift(&s->req, shift);
	s->msg_start = s->msg_start > shift ? s->msg_start - shift : 0;
}

static int
cli_read(struct lb_session *s)
{
	struct lb_buf *b = &s->req;
	ssize_t n;

	if (lb_buf_attach(b, &s->t->bufs) < 0) {
		lb_session_end(s, "out of memory");
		return -1;
	}
	if (b->len >= read_limit(s, b))
		req_make_room(s);
	if (b->len >= read_limit(s, b))
		return 0;
	n = s->cli.ops->read(&s->cli, b->data + b->len,
	    read_limit(s, b) - b->len);
	if (n == 0)
		return cli_eof(s);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		lb_session_end(s, "client read error");
		return -1;
	}
	b->len += (uint32_t)n;
	CTR_ADD(vs_ctr(s)->bytes_in, (uint64_t)n);
	switch (s->state) {
	case SESS_WAIT_REQ:
		s->state = SESS_READ_HEAD;
		s->t_req = now(s);
		s->cexp = now(s) + SEC(tmo(s)->http_request);
		return lb_fwd_request(s);
	case SESS_READ_HEAD:
		return lb_fwd_request(s);
	case SESS_FORWARD:
		s->cexp = now(s) + SEC(tmo(s)->client);
		return lb_fwd_request(s);
	case SESS_TUNNEL:
		b->parsed = b->fwd = b->len;
		tunnel_activity(s);
		return 0;
	case SESS_HELLO:
		return lb_pass_hello(s);
	default:			/* REPLY, LINGER: discard */
		b->off = b->fwd = b->parsed = b->len = 0;
		return 0;
	}
}

static int
cli_flushed(struct lb_session *s)
{
	if (s->state == SESS_REPLY) {
		lb_fwd_log(s, s->term);
		return close_client(s);
	}
	if (s->rsp_done)
		return transaction_end(s);
	return 0;
}

static int
cli_write(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	ssize_t n;

	if (lb_buf_pending(b) == 0)
		return 0;
	n = s->cli.ops->write(&s->cli, b->data + b->off, lb_buf_pending(b));
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		lb_session_end(s, "client write error");
		return -1;
	}
	b->off += (uint32_t)n;
	s->rsp_bytes += (uint64_t)n;
	CTR_ADD(vs_ctr(s)->bytes_out, (uint64_t)n);
	if (s->state == SESS_FORWARD || s->state == SESS_REPLY)
		s->cexp = now(s) + SEC(tmo(s)->client);
	/* the server waits on the client, not the other way round */
	if (s->state == SESS_FORWARD && s->sexp != 0 && s->conn != NULL &&
	    s->conn->connected)
		s->sexp = now(s) + SEC(tmo(s)->server);
	if (lb_buf_pending(b) > 0)
		return 0;
	lb_buf_compact(b);
	return cli_flushed(s);
}

/* ---- server side I/O ---- */

static bool
retryable(const struct lb_session *s)
{
	return !s->rsp_started && s->rsp.len == 0 && !s->req_sent;
}

/* The backend closed or failed before answering. */
static int
srv_failed(struct lb_session *s, const char *why, int err)
{
	bool reused = s->conn->requests > 0;

	if (s->state == SESS_TUNNEL) {
		lb_session_end(s, "tunnel closed by server");
		return -1;
	}
	/* Nothing of the body went out: another member may answer it (a
	 * reused connection the server closed: a fresh one to the same).
	 * Once the head went out on a fresh connection, the member may
	 * have acted on it before it died: only an idempotent request
	 * may be sent again (RFC 9110 9.2.2), never a POST, which would
	 * be done twice.  A reused connection the member closed had not
	 * read it (the race of a keep-alive close). */
	if (retryable(s) && (!s->conn->connected || reused || s->idempotent))
		return lb_conn_retry(s, why, err, reused, s->conn->connected ?
		    502 : 503);
	if (s->member != NULL && lb_err_local(err) == NULL)
		CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
	return lb_fwd_reply(s, 502);
}

static int
srv_eof(struct lb_session *s)
{
	llhttp_errno_t e;

	if (s->state == SESS_TUNNEL) {
		s->rsp_done = true;
		if (lb_buf_pending(&s->rsp) == 0) {
			lb_session_end(s, "tunnel closed by server");
			return -1;
		}
		return 0;
	}
	if (!s->rsp_started)
		return srv_failed(s, "closed before answering", 0);
	e = llhttp_finish(&s->rspp);
	if (e == HPE_OK || e == HPE_PAUSED)
		return rsp_complete(s);
	/* a body cut short: the client sees it cut short too */
	lb_session_end(s, "response truncated by server");
	return -1;
}

static int
srv_read(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	ssize_t n;

	if (lb_buf_attach(b, &s->t->bufs) < 0) {
		lb_session_end(s, "out of memory");
		return -1;
	}
	if (b->len >= read_limit(s, b))
		lb_buf_compact(b);
	if (b->len >= read_limit(s, b))
		return 0;
	n = s->conn->tr.ops->read(&s->conn->tr, b->data + b->len,
	    read_limit(s, b) - b->len);
	if (n == 0)
		return srv_eof(s);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		return srv_failed(s, "read error", errno);
	}
	b->len += (uint32_t)n;
	count_bytes(s, 0, (uint64_t)n);
	if (s->state == SESS_TUNNEL) {
		b->parsed = b->fwd = b->len;
		tunnel_activity(s);
		return 0;
	}
	s->sexp = now(s) + SEC(tmo(s)->server);
	return rsp_parse(s);
}

/* Re-encryption: one step of the handshake with the member; a failed
 * one (a certificate that does not verify) is a failed connect, retried
 * elsewhere and answered 502 at the end.  Returns 1 when it is done, 0
 * while it goes on or after a retry started, -1 if s ended. */
static int
srv_handshake(struct lb_session *s)
{
	char why[160], msg[192];
	int r = lb_tls_handshake(&s->conn->tr, why, sizeof(why));

	if (r < 0) {
		snprintf(msg, sizeof(msg), "TLS handshake failed: %s", why);
		return lb_conn_retry(s, msg, 0, false, 502) < 0 ? -1 : 0;
	}
	s->conn->handshaking = r == 0;
	return r;
}

/* The connect finished (and, with TLS, its handshake): the request may
 * go. */
static int
srv_connected(struct lb_session *s)
{
	struct lb_conn *c = s->conn;
	int err = 0;
	socklen_t len = sizeof(err);

	if (!c->handshaking) {
		if (getsockopt(c->tr.fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) < 0)
			err = errno;
		if (err != 0)
			return lb_conn_retry(s, "connect failed", err, false,
			    503);
		c->handshaking = c->tr.ops == &lb_transport_tls;
	}
	if (c->handshaking && (err = srv_handshake(s)) <= 0)
		return err;
	s->conn->connected = true;
	s->t_conn = now(s);
	s->sexp = now(s) + SEC(tmo(s)->server);
	lb_conn_dispatched(s, true);
	return 0;
}

static int
srv_write(struct lb_session *s)
{
	struct lb_buf *b = &s->req;
	ssize_t n;

	if (!s->conn->connected && srv_connected(s) < 0)
		return -1;
	if (s->conn == NULL || !s->conn->connected || lb_buf_pending(b) == 0)
		return 0;
	n = s->conn->tr.ops->write(&s->conn->tr, b->data + b->off,
	    lb_buf_pending(b));
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		return srv_failed(s, "write error", errno);
	}
	b->off += (uint32_t)n;
	count_bytes(s, (uint64_t)n, 0);
	if (s->has_body)
		s->req_sent = true;
	if (s->state == SESS_FORWARD) {
		s->sexp = now(s) + SEC(tmo(s)->server);
		/* the client waits on the server while it uploads */
		if (!s->req_done)
			s->cexp = now(s) + SEC(tmo(s)->client);
	}
	tunnel_pass_fin(s);
	/* all written: start the buffer over, so reads stay large (a
	 * bodyless request keeps its head for a retry) */
	if (lb_buf_pending(b) == 0 && b->parsed == b->len &&
	    (s->state == SESS_TUNNEL || s->req_sent))
		req_make_room(s);
	return 0;
}

/* ---- callbacks ---- */

/*
 * Bytes read on one side are written to the other once every event of
 * the loop's turn has been handled, just before it polls again: the
 * peers then get this turn's data in one burst and wake up once for all
 * of it, where writing at once would wake them for each.  Until then
 * the session asks for writability as usual, so a write the flush does
 * not reach (one queued by an event fed after it) still happens; when
 * the flush writes everything, the wish is withdrawn before libev tells
 * the kernel, and costs nothing.
 */
static void
queue_flush(struct lb_session *s)
{
	struct lb_thread *t = s->t;

	if (s->flush_pprev != NULL)
		return;
	s->flush_next = t->flush;
	if (t->flush != NULL)
		t->flush->flush_pprev = &s->flush_next;
	t->flush = s;
	s->flush_pprev = &t->flush;
}

void
lb_fwd_unqueue(struct lb_session *s)
{
	if (s->flush_pprev == NULL)
		return;
	*s->flush_pprev = s->flush_next;
	if (s->flush_next != NULL)
		s->flush_next->flush_pprev = s->flush_pprev;
	s->flush_pprev = NULL;
}

/* The loop's turn: every queued session writes what it holds. */
void
lb_fwd_flush(struct lb_thread *t)
{
	struct lb_session *s;

	while ((s = t->flush) != NULL) {
		lb_fwd_unqueue(s);
		if (s->conn != NULL && s->conn->connected &&
		    lb_buf_pending(&s->req) > 0 && srv_write(s) < 0)
			continue;
		if (lb_buf_pending(&s->rsp) > 0 && cli_write(s) < 0)
			continue;
		lb_fwd_sync(s);
	}
}

void
lb_fwd_client_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_session *s = w->data;

	(void)loop;
	if (s->state == SESS_HANDSHAKE) {
		if (cli_handshake(s) < 0)
			return;
		if (s->state == SESS_HANDSHAKE) {
			lb_fwd_sync(s);
			return;
		}
		/* the request often comes with the client's Finished */
		revents = EV_READ;
	}
	/* a TLS read that waited for writability, or the other way round:
	 * retry both */
	if (s->cli.want & revents)
		revents |= EV_READ | EV_WRITE;
	if ((revents & EV_READ) && cli_read(s) < 0)
		return;
	if ((revents & EV_WRITE) && cli_write(s) < 0)
		return;
	/* a connected backend takes what came at the loop's turn */
	if (s->conn != NULL && s->conn->connected &&
	    lb_buf_pending(&s->req) > 0)
		queue_flush(s);
	lb_fwd_sync(s);
}

void
lb_fwd_start(struct lb_session *s)
{
	if (s->state == SESS_HANDSHAKE || s->state == SESS_HELLO)
		lb_fwd_client_io(s->t->loop, &s->io, EV_READ);
}

void
lb_fwd_server_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_conn *c = w->data;
	struct lb_session *s = c->sess;

	(void)loop;
	if (s == NULL) {
		lb_conn_idle_event(c);
		return;
	}
	/* TLS waiting on the other direction: retry both */
	if (c->tr.want & revents)
		revents |= EV_READ | EV_WRITE;
	/* connecting (or shaking hands): any event moves it on */
	if (!c->connected)
		revents |= EV_WRITE;
	if ((revents & EV_WRITE) && srv_write(s) < 0)
		return;
	/* a retry may have replaced c: its events are not the new one's */
	if ((revents & EV_READ) && s->conn == c && c->connected &&
	    srv_read(s) < 0)
		return;
	/* answered: the client gets it at the loop's turn */
	if (lb_buf_pending(&s->rsp) > 0)
		queue_flush(s);
	lb_fwd_sync(s);
}

static void
set_io(struct ev_loop *loop, ev_io *w, int fd, int events)
{
	if ((w->events & (EV_READ | EV_WRITE)) == events &&
	    ev_is_active(w) == (events != 0))
		return;
	ev_io_stop(loop, w);
	/* the same descriptor: libev then tells the kernel only if the
	 * events changed by the time it polls (ev_io_set would make it
	 * tell the kernel in any case) */
	if (w->fd == fd)
		ev_io_modify(w, events);
	else
		ev_io_set(w, fd, events);
	if (events != 0)
		ev_io_start(loop, w);
}

static int
client_events(const struct lb_session *s)
{
	int ev = lb_buf_pending(&s->rsp) > 0 ? EV_WRITE : 0;
	/* A TLS read that must write first (a key update's answer) waits
	 * for writability too.  Readability is the state's to ask for: a
	 * read that waits for it asks for nothing else, and adding it
	 * where the buffer has no room would spin. */
	int want = (int)(s->cli.want & LB_TR_WANT_WRITE);

	switch (s->state) {
	case SESS_HANDSHAKE:
		return s->cli.want ? (int)s->cli.want : EV_READ;
	case SESS_HELLO:
	case SESS_WAIT_REQ:
	case SESS_READ_HEAD:
	case SESS_LINGER:
		return EV_READ | want;
	case SESS_FORWARD:
	case SESS_TUNNEL:
		/* Reading on after a whole request costs nothing (pipelined
		 * bytes wait unparsed) and spares re-arming the event for
		 * every request. */
		if (!s->cli_eof && req_has_room(s))
			ev |= EV_READ;
		return ev | want;
	default:
		return ev | want;
	}
}

static int
server_events(const struct lb_session *s)
{
	int ev = 0;

	if (s->conn->handshaking)
		return (int)s->conn->tr.want;
	if (!s->conn->connected)
		return EV_WRITE;
	if (lb_buf_pending(&s->req) > 0)
		ev |= EV_WRITE;
	if (!s->rsp_done && rsp_has_room(s))
		ev |= EV_READ;
	return ev | (int)(s->conn->tr.want & LB_TR_WANT_WRITE);
}

void
lb_fwd_sync(struct lb_session *s)
{
	struct ev_loop *loop = s->t->loop;
	int cev = client_events(s);

	set_io(loop, &s->io, s->cli.fd, cev);
	/* TLS may hold bytes it read already: the socket will not say */
	if ((cev & EV_READ) && s->cli.ops->pending != NULL &&
	    s->cli.ops->pending(&s->cli))
		ev_feed_event(loop, &s->io, EV_READ);
	if (s->conn != NULL) {
		int sev = server_events(s);

		set_io(loop, &s->conn->io, s->conn->tr.fd, sev);
		if ((sev & EV_READ) && s->conn->tr.ops->pending != NULL &&
		    s->conn->tr.ops->pending(&s->conn->tr))
			ev_feed_event(loop, &s->conn->io, EV_READ);
	}
	lb_session_timer(s);
}

/* ---- timeouts ----
 *
 * While a request is forwarded both deadlines run, and each side's moves
 * the other's on (cli_write, srv_write); when neither side moves, the
 * one edged waits on is the one at fault.  That is the client when edged
 * holds response bytes it does not take, or when the member has every
 * request byte there is and the request is not whole; otherwise the
 * member.  The other side's deadline, should it come first, is put off:
 * a client that stops reading (or sending) must not count as the
 * member's error, nor a slow member cut the client that waits for it.
 */

static bool
waits_on_client(const struct lb_session *s)
{
	return lb_buf_pending(&s->rsp) > 0 ||
	    (!s->req_done && lb_buf_pending(&s->req) == 0);
}

static int
client_timeout(struct lb_session *s)
{
	switch (s->state) {
	case SESS_READ_HEAD:
		return lb_fwd_reply(s, 408);
	case SESS_HANDSHAKE:
		/* a ClientHello never finished is a failed handshake, as
		 * one given up is; a client that sent nothing is not */
		if (lb_tls_started(&s->cli)) {
			log_tls_failure(s, "timeout http-request during the "
			    "handshake");
			CTR_ADD(vs_ctr(s)->errors, 1);
		}
		break;
	case SESS_HELLO:
		/* passthrough: a ClientHello begun and never whole */
		if (s->req.len > 0)
			CTR_ADD(vs_ctr(s)->errors, 1);
		break;
	case SESS_FORWARD:
		if (s->sexp != 0 && !waits_on_client(s)) {
			s->cexp = now(s) + SEC(tmo(s)->client);
			return 0;
		}
		if (!s->req_done && !s->rsp_started)
			return lb_fwd_reply(s, 408);
		break;
	default:
		break;
	}
	lb_session_end(s, "client timeout");
	return -1;
}

static int
server_timeout(struct lb_session *s)
{
	if (s->conn != NULL && !s->conn->connected)
		return lb_conn_retry(s, "connect timeout", ETIMEDOUT, false,
		    503);
	if (s->state == SESS_FORWARD && s->cexp != 0 && waits_on_client(s)) {
		s->sexp = now(s) + SEC(tmo(s)->server);
		return 0;
	}
	/* an idempotent request with no body sent may go elsewhere */
	if (s->conn != NULL && retryable(s) && s->idempotent)
		return lb_conn_retry(s, "no answer within timeout server",
		    ETIMEDOUT, false, 504);
	if (s->member != NULL) {
		CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
		atomic_fetch_add_explicit(&s->member->passive_fails, 1,
		    memory_order_relaxed);
	}
	if (!s->rsp_started)
		return lb_fwd_reply(s, 504);
	lb_session_end(s, "server timeout");
	return -1;
}

void
lb_fwd_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lb_session *s = w->data;
	ev_tstamp t = ev_now(loop);

	(void)revents;
	if (s->cexp != 0 && t >= s->cexp) {
		if (client_timeout(s) < 0)
			return;
	} else if (s->sexp != 0 && t >= s->sexp) {
		if (server_timeout(s) < 0)
			return;
	}
	lb_fwd_sync(s);
}
