/*
 * lb/session.c - a client connection's life: creation, the keep-alive
 * step between requests, the timer, and the one teardown.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_parse.h"
#include "log.h"
#include "session.h"
#include "transport_tls.h"

/* ---- llhttp callbacks: they stop the parser where the proxy has
 * something to decide, and refuse what llhttp lets through but edged does
 * not forward (http_parse.h; lb_http_rewrite_request checks the heads
 * themselves) ---- */

static int
req_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name(p, at, len, &s->req_trailer_name);
}

static int
req_header_field_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name_complete(p, &s->req_trailer_name);
}

static int
rsp_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name(p, at, len, &s->rsp_trailer_name);
}

static int
rsp_header_field_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name_complete(p, &s->rsp_trailer_name);
}

static int
req_headers_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	s->req_pause = PAUSE_HEAD;
	return HPE_PAUSED;
}

static int
req_message_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	s->req_pause = PAUSE_MESSAGE;
	return HPE_PAUSED;
}

static int
rsp_headers_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	/* a response to HEAD has no body whatever its headers say */
	if (s->is_head)
		p->flags |= F_SKIPBODY;
	s->rsp_pause = PAUSE_HEAD;
	return HPE_PAUSED;
}

static int
rsp_message_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	s->rsp_pause = PAUSE_MESSAGE;
	return HPE_PAUSED;
}

const llhttp_settings_t lb_req_settings = {
	.on_url = lb_http_on_url,
	.on_url_complete = lb_http_on_url_complete,
	.on_header_field = req_header_field,
	.on_header_field_complete = req_header_field_complete,
	.on_headers_complete = req_headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = req_message_complete,
};

const llhttp_settings_t lb_rsp_settings = {
	.on_header_field = rsp_header_field,
	.on_header_field_complete = rsp_header_field_complete,
	.on_headers_complete = rsp_headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = rsp_message_complete,
};

/* ---- life ---- */

static void
link_session(struct lb_thread *t, struct lb_session *s)
{
	s->next = t->sessions;
	if (t->sessions != NULL)
		t->sessions->prev = s;
	t->sessions = s;
	t->nsessions++;
}

static void
unlink_session(struct lb_thread *t, struct lb_session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		t->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	t->nsessions--;
}

static void
start_transaction(struct lb_session *s)
{
	llhttp_init(&s->rspp, HTTP_RESPONSE, &lb_rsp_settings);
	s->rspp.data = s;
	s->req_done = s->rsp_started = s->rsp_done = false;
	s->srv_reusable = s->fresh_conn = s->req_sent = false;
	s->retries = 0;
	s->status = 0;
	s->msg_start = s->req.parsed;
	s->t_req = s->t_head = s->t_conn = s->t_rsp = 0;
	s->rsp_bytes = 0;
	s->mname = "-";
	s->term = NULL;
	s->logged = false;
	s->req_counted = s->pool_counted = false;
	s->rsp_trailer_name = false;
	free(s->reqline);
	s->reqline = NULL;
}

struct lb_session *
lb_session_new(struct lb_thread *t, struct lb_rt_vs *vs, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct lb_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->t = t;
	s->vs = vs;
	s->pool = vs->pool;
	s->state = SESS_WAIT_REQ;
	if (vs->tls == NULL) {
		s->cli.ops = &lb_transport_plain;
		s->cli.fd = fd;
		if (vs->profile->type == LB_PROFILE_PASSTHROUGH) {
			s->state = SESS_HELLO;
			s->t_req = ev_now(t->loop);
		}
	} else if (lb_tls_accept(&s->cli, vs->tls, fd) == 0) {
		s->state = SESS_HANDSHAKE;
		s->cli.want = LB_TR_WANT_READ;
	} else {
		free(s);
		return NULL;
	}
	memcpy(&s->peer, peer, peerlen < sizeof(s->peer) ? peerlen :
	    sizeof(s->peer));
	llhttp_init(&s->reqp, HTTP_REQUEST, &lb_req_settings);
	s->reqp.data = s;
	start_transaction(s);
	ev_io_init(&s->io, lb_fwd_client_io, fd, 0);
	s->io.data = s;
	ev_init(&s->timer, lb_fwd_timeout);
	s->timer.data = s;
	s->cexp = ev_now(t->loop) +
	    (ev_tstamp)t->rt->conf->timeouts.http_request / 1000.0;
	link_session(t, s);
	CTR_ADD(t->ctr_vs[vs->index].cur, 1);
	CTR_ADD(t->ctr_vs[vs->index].total, 1);
	lb_fwd_sync(s);
	return s;
}

int
lb_session_next(struct lb_session *s)
{
	struct lb_buf *b = &s->req;
	struct lb_thread *t = s->t;

	lb_buf_detach(&s->rsp, &t->bufs);
	if (b->parsed == b->len)
		lb_buf_detach(b, &t->bufs);
	else
		lb_buf_compact(b);
	/* the parser stopped after the previous message: go on */
	start_transaction(s);
	s->state = SESS_WAIT_REQ;
	s->cexp = ev_now(t->loop) +
	    (ev_tstamp)t->rt->conf->timeouts.keep_alive / 1000.0;
	s->sexp = 0;
	if (b->len == 0)
		return 0;
	/* a pipelined request is already here */
	s->state = SESS_READ_HEAD;
	s->t_req = ev_now(t->loop);
	s->cexp = ev_now(t->loop) +
	    (ev_tstamp)t->rt->conf->timeouts.http_request / 1000.0;
	return lb_fwd_request(s);
}

void
lb_session_timer(struct lb_session *s)
{
	ev_tstamp when = s->cexp;
	struct ev_loop *loop = s->t->loop;

	if (s->sexp != 0 && (when == 0 || s->sexp < when))
		when = s->sexp;
	if (when == 0) {
		ev_timer_stop(loop, &s->timer);
		s->armed = 0;
		return;
	}
	/* Deadlines mostly move later: leave the timer where it is and let
	 * it re-check when it fires; re-arm only when one moved earlier. */
	if (s->armed != 0 && s->armed <= when && ev_is_active(&s->timer))
		return;
	ev_timer_stop(loop, &s->timer);
	ev_timer_set(&s->timer, when - ev_now(loop) > 0 ?
	    when - ev_now(loop) : 0, 0);
	ev_timer_start(loop, &s->timer);
	s->armed = when;
}

void
lb_session_end(struct lb_session *s, const char *why)
{
	struct lb_thread *t = s->t;

	log_debug("virtual-server %s: session closed: %s", s->vs->conf->name,
	    why);
	lb_fwd_count_unanswered(s);
	/* a transaction cut short still gets its line */
	if (s->t_head != 0)
		lb_fwd_log(s, s->term != NULL ? s->term :
		    s->state == SESS_TUNNEL ? "--" :
		    strncmp(why, "client", 6) == 0 ? "CD" :
		    strncmp(why, "server", 6) == 0 ||
		    strncmp(why, "response", 8) == 0 ? "SD" : "PD");
	free(s->reqline);
	lb_fwd_unqueue(s);
	ev_io_stop(t->loop, &s->io);
	ev_timer_stop(t->loop, &s->timer);
	if (s->conn != NULL)
		lb_conn_release(s, false);
	lb_member_drop(s);
	s->cli.ops->close(&s->cli);
	lb_buf_detach(&s->req, &t->bufs);
	lb_buf_detach(&s->rsp, &t->bufs);
	unlink_session(t, s);
	CTR_ADD(t->ctr_vs[s->vs->index].cur, -1);
	atomic_fetch_sub_explicit(&s->vs->conns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&t->rt->conns, 1, memory_order_relaxed);
	free(s);
	lb_listeners_resume(t);
}

/*
 * Closing an idle keep-alive connection races with the request its
 * client may be sending at that very moment, which would then be lost
 * (the client sees a reset).  So a draining session is closed only
 * between requests: a busy client gets its next response with
 * "Connection: close" (lb_fwd_response sees t->draining), and one that
 * stays idle is closed after LB_DRAIN_IDLE seconds of silence, when it
 * is very unlikely to be sending.
 */
void
lb_session_drain(struct lb_session *s)
{
	s->keep_alive = false;
	if (s->state == SESS_WAIT_REQ) {
		ev_tstamp by = ev_now(s->t->loop) + LB_DRAIN_IDLE;

		if (s->cexp == 0 || by < s->cexp) {
			s->cexp = by;
			lb_session_timer(s);
		}
	}
}
