/*
 * lb/session.c - one client connection, top to bottom:
 *
 *   accept -> [HANDSHAKE] -> WAIT_REQ -> READ_HEAD: the protocol reads
 *   the request -> dispatch: pick a member, connect -> FORWARD: request
 *   out, response in -> response done -> WAIT_REQ (keep-alive) or close
 *
 * This file owns the state: it is the only one to assign it.  The steps
 * below it (http_request.c, http_response.c, passthrough.c, connect.c)
 * say what they found with a struct lb_next, and settle() acts on it;
 * they never end the session or call back up.  A step that asks for the
 * end only marks the session closing: the event callback that ran it
 * ends it when everything it did is over (finish), so nothing is freed
 * under a caller that still uses it.
 *
 * Which events each side waits for is derived from the state and the
 * buffers in watch(), at the end of every callback, rather than toggled
 * here and there.
 *
 * The file reads in the order of a request's life: a connection
 * arrives, its events run steps, the steps by state (handshake, the
 * request, its dispatch to a member, the member's side, the response
 * back, the next request), then tunnels, replies, timeouts, and what
 * the session waits for; the one teardown comes last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "http.h"
#include "log.h"
#include "rule_run.h"
#include "session.h"
#include "transport_tls.h"

static struct lb_session *session_new(struct lb_listener *l, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen);
static struct lb_next proxy_header(struct lb_session *s);
static void start_transaction(struct lb_session *s);
static void link_session(struct lb_thread *t, struct lb_session *s);
static void client_io(struct ev_loop *loop, ev_io *w, int revents);
static void client_event(struct lb_session *s, int revents);
static void server_event(struct lb_session *s, struct lb_conn *c, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void queue_flush(struct lb_session *s);
static void finish(struct lb_session *s);
static bool settle(struct lb_session *s, struct lb_next n);
static struct lb_next handshake(struct lb_session *s);
static struct lb_next plain_on_tls(struct lb_session *s);
static void count_handshake(struct lb_session *s);
static void log_tls_failure(struct lb_session *s, const char *why);
static struct lb_next client_read(struct lb_session *s);
static struct lb_next client_data(struct lb_session *s);
static struct lb_next client_eof(struct lb_session *s);
static struct lb_next request(struct lb_session *s);
static struct lb_next dispatch(struct lb_session *s,
    const struct lb_dispatch *d);
static struct lb_next to_member(struct lb_session *s, struct lb_member *m);
static bool pool_full(const struct lb_rt_pool *p);
static struct lb_next enqueue(struct lb_session *s,
    const struct lb_dispatch *d, bool bound);
static void unqueue_request(struct lb_session *s);
static struct lb_next server_write(struct lb_session *s);
static struct lb_next server_connected(struct lb_session *s);
static void request_sent(struct lb_session *s, size_t n);
static struct lb_next server_read(struct lb_session *s);
static struct lb_next server_eof(struct lb_session *s);
static struct lb_next server_failed(struct lb_session *s, const char *why,
    int err);
static bool retryable(const struct lb_session *s);
static struct lb_next client_write(struct lb_session *s);
static struct lb_next client_flushed(struct lb_session *s);
static struct lb_next response_done(struct lb_session *s);
static struct lb_next transaction_end(struct lb_session *s);
static struct lb_next next_request(struct lb_session *s);
static struct lb_next close_client(struct lb_session *s);
static void tunnel(struct lb_session *s);
static void tunnel_activity(struct lb_session *s);
static void tunnel_pass_fin(struct lb_session *s);
static struct lb_next tunnel_shut_client(struct lb_session *s);
static struct lb_next tunnel_next(const struct lb_session *s);
static bool splicing(struct lb_session *s, struct lb_pipe *p,
    const struct lb_buf *b);
static struct lb_next client_splice_in(struct lb_session *s);
static struct lb_next client_splice_out(struct lb_session *s);
static struct lb_next server_splice_in(struct lb_session *s);
static struct lb_next server_splice_out(struct lb_session *s);
static struct lb_next reply(struct lb_session *s, int status);
static struct lb_next tarpit(struct lb_session *s, int status);
static struct lb_next reply_with(struct lb_session *s, int status,
    const char *text, size_t len);
static struct lb_next client_timeout(struct lb_session *s);
static struct lb_next server_timeout(struct lb_session *s);
static bool waits_on_client(const struct lb_session *s);
static void watch(struct lb_session *s);
static int client_events(const struct lb_session *s);
static int server_events(const struct lb_session *s);
static void set_io(struct ev_loop *loop, ev_io *w, int fd, int events);
static void arm_timer(struct lb_session *s);
static uint32_t read_limit(const struct lb_session *s, const struct lb_buf *b);
static uint32_t req_shiftable(const struct lb_session *s);
static bool req_has_room(const struct lb_session *s);
static bool rsp_has_room(const struct lb_session *s);
static uint32_t req_pending(const struct lb_session *s);
static uint32_t rsp_pending(const struct lb_session *s);
static void req_make_room(struct lb_session *s);
static void count_bytes(struct lb_session *s, uint64_t in, uint64_t out);
static struct lb_ctr *vs_ctr(struct lb_session *s);
static void unlink_session(struct lb_thread *t, struct lb_session *s);
static void unqueue(struct lb_session *s);

/* ---- the protocols ---- */

const struct lb_proto lb_proto_http = {
	.name = "http",
	.first = SESS_WAIT_REQ,
	.replies = true,
	.request = lb_req_parse,
	.dispatch = lb_req_commit,
	.response = lb_rsp_parse,
	.response_eof = lb_rsp_eof,
};

const struct lb_proto *
lb_proto_of(const struct lb_profile_conf *p)
{
	return p->type == LB_PROFILE_PASSTHROUGH ? &lb_proto_passthrough :
	    p->type == LB_PROFILE_TCP ? &lb_proto_tcp : &lb_proto_http;
}

/* ---- a connection arrives ---- */

int
lb_session_accept(struct lb_listener *l, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct lb_session *s = session_new(l, fd, peer, peerlen);

	if (s == NULL)
		return -1;
	link_session(l->thread, s);
	CTR_ADD(l->thread->ctr_vs[l->vs->index].cur, 1);
	CTR_ADD(l->thread->ctr_vs[l->vs->index].total, 1);
	/* tcp goes to a member at once; TLS and passthrough take their
	 * first step at once (the ClientHello is usually there already),
	 * sparing a turn of the loop; so does a PROXY header */
	if (s->proto->at_accept && s->state != SESS_PROXY)
		(void)settle(s, request(s));
	else if (s->state == SESS_HANDSHAKE || s->state == SESS_HELLO ||
	    s->state == SESS_PROXY)
		client_event(s, EV_READ);
	finish(s);
	return 0;
}

static struct lb_session *
session_new(struct lb_listener *l, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct lb_thread *t = l->thread;
	struct lb_rt_vs *vs = l->vs;
	struct lb_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->t = t;
	s->vs = vs;
	s->up = s->down = LB_PIPE_NONE;
	s->proto = vs->proto;
	s->pool = vs->pool;
	s->state = s->proto->first;
	if (vs->tls == NULL) {
		s->cli.ops = &lb_transport_plain;
		s->cli.fd = fd;
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
	/* a protocol that reads its request at once starts it now */
	if (s->state == SESS_HELLO)
		s->t_req = lb_now(s);
	ev_io_init(&s->io, client_io, fd, 0);
	s->io.data = s;
	ev_init(&s->timer, on_timer);
	s->timer.data = s;
	s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->http_request);
	/* the header before anything, TLS included: the state the session
	 * goes on in is set again once it is read */
	if (l->accept_proxy)
		s->state = SESS_PROXY;
	return s;
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
	s->pool = s->vs->pool;		/* use_backend may choose another */
	s->persist = NULL;
	s->t_req = s->t_head = s->t_conn = s->t_rsp = 0;
	s->rsp_bytes = 0;
	s->mname = "-";
	s->term = NULL;
	s->logged = false;
	s->req_counted = s->pool_counted = false;
	s->rsp_trailer_name = false;
	for (size_t i = 0; i < s->nvars; i++)
		s->vars[i].set = false;	/* a transaction's own */
	free(s->reqline);
	s->reqline = NULL;
}

static void
link_session(struct lb_thread *t, struct lb_session *s)
{
	s->next = t->sessions;
	if (t->sessions != NULL)
		t->sessions->prev = s;
	t->sessions = s;
	t->nsessions++;
}

/* ---- the events: each callback runs steps, then finishes ---- */

static void
client_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_session *s = w->data;

	(void)loop;
	client_event(s, revents);
	finish(s);
}

static void
client_event(struct lb_session *s, int revents)
{
	if (s->state == SESS_PROXY) {
		if (!settle(s, proxy_header(s)) || s->state == SESS_PROXY)
			return;
		if (s->proto->at_accept) {
			(void)settle(s, request(s));
			return;
		}
		/* what follows the header usually came with it */
		revents = EV_READ;
	}
	if (s->state == SESS_HANDSHAKE) {
		if (!settle(s, handshake(s)) || s->state == SESS_HANDSHAKE)
			return;
		/* the request often comes with the client's Finished */
		revents = EV_READ;
	}
	/* a TLS read that waited for writability, or the other way round:
	 * retry both */
	if (s->cli.want & revents)
		revents |= EV_READ | EV_WRITE;
	if ((revents & EV_READ) && !settle(s, client_read(s)))
		return;
	if ((revents & EV_WRITE) && !settle(s, client_write(s)))
		return;
	/* a connected backend takes what came at the loop's turn */
	if (s->conn != NULL && s->conn->connected && req_pending(s) > 0)
		queue_flush(s);
}

void
lb_session_server_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_conn *c = w->data;
	struct lb_session *s = c->sess;

	(void)loop;
	if (s == NULL) {
		lb_conn_idle_event(c);
		return;
	}
	server_event(s, c, revents);
	finish(s);
}

static void
server_event(struct lb_session *s, struct lb_conn *c, int revents)
{
	/* TLS waiting on the other direction: retry both */
	if (c->tr.want & revents)
		revents |= EV_READ | EV_WRITE;
	/* connecting (or shaking hands): any event moves it on */
	if (!c->connected)
		revents |= EV_WRITE;
	if ((revents & EV_WRITE) && !settle(s, server_write(s)))
		return;
	/* a retry may have replaced c: its events are not the new one's */
	if ((revents & EV_READ) && s->conn == c && c->connected &&
	    !settle(s, server_read(s)))
		return;
	/* answered: the client gets it at the loop's turn */
	if (rsp_pending(s) > 0)
		queue_flush(s);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lb_session *s = w->data;
	ev_tstamp t = ev_now(loop);

	(void)revents;
	if (s->cexp != 0 && t >= s->cexp)
		(void)settle(s, client_timeout(s));
	else if (s->sexp != 0 && t >= s->sexp)
		(void)settle(s, server_timeout(s));
	finish(s);
}

void
lb_session_flush(struct lb_thread *t)
{
	struct lb_session *s;

	while ((s = t->flush) != NULL) {
		unqueue(s);
		if (s->conn != NULL && s->conn->connected &&
		    req_pending(s) > 0)
			(void)settle(s, server_write(s));
		if (s->closing == NULL && rsp_pending(s) > 0)
			(void)settle(s, client_write(s));
		finish(s);
	}
}

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

/* The end of every callback: the session ends if a step asked for it,
 * else waits for what its state and buffers need. */
static void
finish(struct lb_session *s)
{
	if (s->closing != NULL)
		lb_session_end(s, s->closing);
	else
		watch(s);
}

/* ---- acting on a step ---- */

/*
 * Acts on what a step asked for, and on what that leads to, until only
 * waiting is left.  Returns false once the session is closing: the
 * caller does nothing more with it and its callback ends it.
 */
static bool
settle(struct lb_session *s, struct lb_next n)
{
	for (;;) {
		switch (n.what) {
		case LB_GO:
			return true;
		case LB_REPLY:
			n = n.len > 0 && !s->rsp_started ? reply_with(s,
			    n.status, n.text, n.len) : reply(s, n.status);
			break;
		case LB_TARPIT:
			n = tarpit(s, n.status);
			break;
		case LB_TUNNEL:
			tunnel(s);
			return true;
		case LB_DONE:
			n = response_done(s);
			break;
		case LB_CLOSE:
			s->closing = n.why;
			return false;
		default:
			/* LB_DISPATCH never leaves request() */
			log_err("session: step %u out of place", n.what);
			abort();
		}
	}
}

/* ---- PROXY: the header of a listener with accept-proxy ---- */

static struct lb_next
proxy_header(struct lb_session *s)
{
	bool whole;
	struct lb_next n = lb_proxy_read(s, &whole);

	if (n.what == LB_GO && whole)
		s->state = s->vs->tls != NULL ? SESS_HANDSHAKE :
		    s->proto->first;
	return n;
}

/* ---- HANDSHAKE: TLS with the client ---- */

/* One step of the TLS handshake; when it is done the session waits for
 * the first request, within what is left of timeout http-request. */
static struct lb_next
handshake(struct lb_session *s)
{
	char why[160];
	int r = lb_tls_handshake(&s->cli, why, sizeof(why));

	if (r == 0)
		return lb_next(LB_GO);
	if (r < 0 && lb_tls_plain_http(&s->cli))
		return plain_on_tls(s);
	if (r < 0 && !lb_tls_started(&s->cli))	/* a port probe, or a
						 * client that gave up */
		return lb_next_close("client closed before the handshake");
	if (r < 0) {
		log_tls_failure(s, why);
		CTR_ADD(vs_ctr(s)->errors, 1);
		return lb_next_close("TLS handshake failed");
	}
	count_handshake(s);
	s->state = SESS_WAIT_REQ;
	return lb_next(LB_GO);
}

/* Plain HTTP on a TLS port: a failed handshake all the same, but the
 * client gets a 400 in plain HTTP that says why (as from nginx and
 * HAProxy), then a clean close, rather than a bare one. */
static struct lb_next
plain_on_tls(struct lb_session *s)
{
	const char *text;
	size_t len;
	int fd;

	log_tls_failure(s, "plain HTTP sent to a TLS port");
	CTR_ADD(vs_ctr(s)->errors, 1);
	fd = lb_tls_release(&s->cli);
	s->cli = (struct lb_transport){ .ops = &lb_transport_plain, .fd = fd };
	s->t_req = lb_now(s);
	text = lb_http_plain_on_tls_reply(&len);
	return reply_with(s, 400, text, len);
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

static void
log_tls_failure(struct lb_session *s, const char *why)
{
	char peer[INET6_ADDRSTRLEN];

	addr_fmt(peer, sizeof(peer), &s->peer.sa);
	log_debug("virtual-server %s: client %s: TLS handshake failed: %s",
	    s->vs->conf->name, peer, why);
}

/* ---- WAIT_REQ, READ_HEAD: the client sends ---- */

static struct lb_next
client_read(struct lb_session *s)
{
	struct lb_buf *b = &s->req;
	ssize_t n;

	if (s->state == SESS_TUNNEL && splicing(s, &s->up, b))
		return client_splice_in(s);
	if (lb_buf_attach(b, &s->t->bufs) < 0)
		return lb_next_close("out of memory");
	if (b->len >= read_limit(s, b))
		req_make_room(s);
	if (b->len >= read_limit(s, b))
		return lb_next(LB_GO);
	n = s->cli.ops->read(&s->cli, b->data + b->len,
	    read_limit(s, b) - b->len);
	if (n == 0)
		return client_eof(s);
	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    lb_next_close("client read error");
	if ((uint32_t)n == read_limit(s, b) - b->len)
		s->up_bulk = true;	/* splice from now on (tunnels) */
	b->len += (uint32_t)n;
	CTR_ADD(vs_ctr(s)->bytes_in, (uint64_t)n);
	return client_data(s);
}

/* Bytes came from the client: what they are depends on the state. */
static struct lb_next
client_data(struct lb_session *s)
{
	struct lb_buf *b = &s->req;

	switch (s->state) {
	case SESS_WAIT_REQ:
		s->state = SESS_READ_HEAD;
		s->t_req = lb_now(s);
		s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->http_request);
		return request(s);
	case SESS_HELLO:
	case SESS_READ_HEAD:
		return request(s);
	case SESS_FORWARD:
		s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->client);
		return request(s);
	case SESS_TUNNEL:
		b->parsed = b->fwd = b->len;
		tunnel_activity(s);
		return lb_next(LB_GO);
	default:			/* REPLY, LINGER: discard */
		b->off = b->fwd = b->parsed = b->len = 0;
		return lb_next(LB_GO);
	}
}

static struct lb_next
client_eof(struct lb_session *s)
{
	s->cli_eof = true;
	switch (s->state) {
	case SESS_FORWARD:
		if (s->req_done)	/* half-close: still send the answer */
			return lb_next(LB_GO);
		break;
	case SESS_REPLY:
		return lb_next(LB_GO);
	case SESS_TUNNEL:
		tunnel_pass_fin(s);
		return tunnel_next(s);
	default:
		break;
	}
	return lb_next_close("client closed");
}

/* ---- the request goes to a member ---- */

/* The protocol reads what the client sent; each request it finds ready
 * goes to a member, and the protocol reads on (an HTTP body). */
static struct lb_next
request(struct lb_session *s)
{
	struct lb_dispatch d;
	struct lb_next n;

	while ((n = s->proto->request(s, &d)).what == LB_DISPATCH)
		if ((n = dispatch(s, &d)).what != LB_GO)
			return n;
	return n;
}

/* A request is ready for a member: pick one, let the protocol ready the
 * request for it, take it, connect.  When the members that could take
 * it are all at their max-connections, or the one persistence names is,
 * it waits in the pool's queue (behind all those already waiting, on
 * every thread). */
static struct lb_next
dispatch(struct lb_session *s, const struct lb_dispatch *d)
{
	struct lb_member *m = NULL, *pm;
	struct lb_next n;

	lb_txn_count_request(s, true);
	pm = lb_persist_member(s);
	/* while some wait, a request waits behind them */
	if (atomic_load_explicit(&s->pool->queued, memory_order_relaxed) ==
	    0)
		m = pm == NULL ? lb_pick_member(s, d->key, d->keylen) :
		    lb_member_has_room(pm) ? pm : NULL;
	if (m == NULL)
		return pool_full(s->pool) || pm != NULL ?
		    enqueue(s, d, pm != NULL) : lb_next_reply(503);
	lb_persist_chosen(s, m);
	if (s->proto->dispatch != NULL &&
	    (n = s->proto->dispatch(s, d)).what != LB_GO)
		return n;
	return to_member(s, m);
}

/* The request, ready, goes to m. */
static struct lb_next
to_member(struct lb_session *s, struct lb_member *m)
{
	lb_member_take(s, m);
	if (s->proto->tunnel) {
		tunnel(s);
		s->fresh_conn = true;
	} else {
		s->state = SESS_FORWARD;
		s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->client);
	}
	return lb_conn_get(s);
}

/* ---- QUEUED: waiting for a member ---- */

/* Whether a member of p that may take requests is only at its
 * max-connections: then a request waits rather than get a 503. */
static bool
pool_full(const struct lb_rt_pool *p)
{
	for (size_t i = 0; i < p->nmembers; i++)
		if (p->members[i].maxconn > 0 &&
		    lb_member_usable(&p->members[i]))
			return true;
	return false;
}

/* This thread's oldest request of p that waits for any member, for the
 * other threads to see. */
static void
publish_first(struct lb_thread *t, struct lb_rt_pool *p)
{
	const struct lb_session *s = t->queues[p->index].head;

	while (s != NULL && s->qbound)
		s = s->qnext;
	atomic_store(&p->qfirst[t->id], s != NULL ? s->qticket :
	    LB_NO_TICKET);
}

/* The thread, other than t, whose oldest waiting request of p is older
 * than ticket: -1 for none. */
static int
older_elsewhere(const struct lb_thread *t, struct lb_rt_pool *p,
    uint64_t ticket)
{
	uint64_t min = ticket;
	int who = -1;

	for (unsigned u = 0; u < t->rt->nthreads; u++) {
		uint64_t v = atomic_load(&p->qfirst[u]);

		if (u != t->id && v < min) {
			min = v;
			who = (int)u;
		}
	}
	return who;
}

static void
wake_thread(struct lb_runtime *rt, int u)
{
	ev_async_send(rt->threads[u].loop, &rt->threads[u].qwake);
}

void
lb_session_queue_kick(struct lb_thread *t, struct lb_rt_pool *p)
{
	int u;

	if (atomic_load_explicit(&p->queued, memory_order_relaxed) > 0 &&
	    (u = older_elsewhere(t, p, atomic_load(&p->qfirst[t->id]))) >=
	    0)
		wake_thread(t->rt, u);
}

static struct lb_next
enqueue(struct lb_session *s, const struct lb_dispatch *d, bool bound)
{
	struct lb_rt_pool *p = s->pool;
	struct lb_queue *q = &s->t->queues[p->index];
	const struct lb_timeouts *tmo = lb_tmo(s);
	struct lb_next n;

	if (atomic_load_explicit(&p->queued, memory_order_relaxed) >=
	    p->conf->max_queue) {
		s->term = "sQ";
		return lb_next_reply(503);
	}
	/* the key points into the head, which dispatch moves (out of
	 * memory: the request is balanced as one without a key) */
	s->qkeylen = 0;
	if (d->key != NULL && d->keylen > 0 &&
	    (s->qkey = malloc(d->keylen)) != NULL) {
		memcpy(s->qkey, d->key, d->keylen);
		s->qkeylen = d->keylen;
	}
	/* the head goes in place now: the scratch is the thread's */
	if (s->proto->dispatch != NULL &&
	    (n = s->proto->dispatch(s, d)).what != LB_GO) {
		free(s->qkey);
		s->qkey = NULL;
		return n;
	}
	atomic_fetch_add_explicit(&p->queued, 1, memory_order_relaxed);
	s->qticket = atomic_fetch_add(&p->qseq, 1);
	s->qbound = bound;
	s->qnext = NULL;
	if (q->tail != NULL)
		q->tail->qnext = s;
	else
		q->head = s;
	q->tail = s;
	if (!bound && atomic_load(&p->qfirst[s->t->id]) == LB_NO_TICKET)
		atomic_store(&p->qfirst[s->t->id], s->qticket);
	s->state = SESS_QUEUED;
	s->cexp = lb_now(s) + LB_SEC(p->conf->queue_timeout > 0 ?
	    p->conf->queue_timeout : tmo->connect);
	if (s->t->nqueued++ == 0)
		ev_timer_again(s->t->loop, &s->t->qtick);
	return lb_next(LB_GO);
}

/* s leaves its queue (it got a member, timed out, or ends). */
static void
unqueue_request(struct lb_session *s)
{
	struct lb_queue *q = &s->t->queues[s->pool->index];
	struct lb_session **pp = &q->head, *prev = NULL;

	while (*pp != NULL && *pp != s) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp == NULL)
		return;
	*pp = s->qnext;
	if (q->tail == s)
		q->tail = prev;
	s->qnext = NULL;
	free(s->qkey);
	s->qkey = NULL;
	s->qkeylen = 0;
	if (!s->qbound &&
	    atomic_load(&s->pool->qfirst[s->t->id]) == s->qticket)
		publish_first(s->t, s->pool);
	atomic_fetch_sub_explicit(&s->pool->queued, 1, memory_order_relaxed);
	if (--s->t->nqueued == 0)
		ev_timer_stop(s->t->loop, &s->t->qtick);
}

/* The member a waiting request may have now, or NULL; *stop when none
 * behind it in the queue may have one either. */
static struct lb_member *
queued_member(struct lb_session *s, bool *stop)
{
	struct lb_member *m;
	int u;

	/* the member persistence named when it came (s->persist, not
	 * looked up again at each turn): when it has room; gone down or
	 * disabled meanwhile, any member, as for a new request */
	if (s->qbound && lb_persist_usable(s->persist))
		return lb_member_has_room(s->persist) ? s->persist : NULL;
	if ((u = older_elsewhere(s->t, s->pool, s->qticket)) >= 0) {
		wake_thread(s->t->rt, u);
		*stop = true;
		return NULL;
	}
	if ((m = lb_pick_member(s, s->qkey, s->qkeylen)) == NULL)
		*stop = true;
	return m;
}

void
lb_session_dequeue(struct lb_thread *t)
{
	for (size_t i = 0; i < t->rt->npools && t->nqueued > 0; i++) {
		struct lb_session *s, *next;
		struct lb_member *m;
		struct lb_next n;
		bool stop = false;

		for (s = t->queues[i].head; s != NULL && !stop; s = next) {
			next = s->qnext;
			if ((m = queued_member(s, &stop)) == NULL)
				continue;
			unqueue_request(s);
			lb_persist_chosen(s, m);
			/* then what came while it waited: the parser's run
			 * that ends a bodiless request, a body */
			if ((n = to_member(s, m)).what == LB_GO)
				n = request(s);
			if (settle(s, n))
				queue_flush(s);
			finish(s);
		}
	}
}

void
lb_session_queue_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	lb_session_dequeue(w->data);
}

void
lb_session_queue_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	lb_session_dequeue(w->data);
}

/* ---- FORWARD: the member's side ---- */

static struct lb_next
server_write(struct lb_session *s)
{
	struct lb_buf *b = &s->req;
	struct lb_next next;
	ssize_t n;

	if (!s->conn->connected &&
	    (next = server_connected(s)).what != LB_GO)
		return next;
	if (s->conn != NULL && s->conn->connected && s->up.len > 0)
		return server_splice_out(s);
	if (s->conn == NULL || !s->conn->connected || lb_buf_pending(b) == 0) {
		tunnel_pass_fin(s);	/* a client that closed at once */
		return tunnel_next(s);
	}
	n = s->conn->tr.ops->write(&s->conn->tr, b->data + b->off,
	    lb_buf_pending(b));
	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    server_failed(s, "write error", errno);
	request_sent(s, (size_t)n);
	return tunnel_next(s);
}

/* The connect finished, and, with re-encryption, its handshake: the
 * request may go.  A handshake that fails (a certificate that does not
 * verify) is a failed connect, retried elsewhere and answered 502 at
 * the end. */
static struct lb_next
server_connected(struct lb_session *s)
{
	struct lb_conn *c = s->conn;
	char why[160], msg[192];
	socklen_t len = sizeof(int);
	int err = 0, r;

	if (!c->handshaking) {
		if (getsockopt(c->tr.fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) < 0)
			err = errno;
		if (err != 0)
			return lb_conn_retry(s, "connect failed", err, false,
			    503);
		/* before anything, TLS's handshake too */
		if (c->proxied && lb_conn_send_proxy(s, c) < 0)
			return lb_conn_retry(s, "sending the PROXY header",
			    errno, false, 503);
		c->handshaking = c->tr.ops == &lb_transport_tls;
	}
	if (c->handshaking) {
		if ((r = lb_tls_handshake(&c->tr, why, sizeof(why))) < 0) {
			snprintf(msg, sizeof(msg), "TLS handshake failed: %s",
			    why);
			return lb_conn_retry(s, msg, 0, false, 502);
		}
		if ((c->handshaking = r == 0))
			return lb_next(LB_GO);
	}
	c->connected = true;
	s->t_conn = lb_now(s);
	s->sexp = lb_now(s) + LB_SEC(lb_tmo(s)->server);
	lb_conn_dispatched(s, true);
	return lb_next(LB_GO);
}

/* The request's bytes that are ready go to the member. */
static void
request_sent(struct lb_session *s, size_t n)
{
	struct lb_buf *b = &s->req;

	b->off += (uint32_t)n;
	count_bytes(s, (uint64_t)n, 0);
	if (s->has_body)
		s->req_sent = true;
	if (s->state == SESS_FORWARD) {
		s->sexp = lb_now(s) + LB_SEC(lb_tmo(s)->server);
		/* the client waits on the server while it uploads */
		if (!s->req_done)
			s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->client);
	}
	tunnel_pass_fin(s);
	/* all written: start the buffer over, so reads stay large (a
	 * bodyless request keeps its head for a retry) */
	if (lb_buf_pending(b) == 0 && b->parsed == b->len &&
	    (s->state == SESS_TUNNEL || s->req_sent))
		req_make_room(s);
}

static struct lb_next
server_read(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	ssize_t n;

	/* ssl-session-id persistence reads the ServerHello first */
	if (s->state == SESS_TUNNEL && !s->persist_learn &&
	    splicing(s, &s->down, b))
		return server_splice_in(s);
	if (lb_buf_attach(b, &s->t->bufs) < 0)
		return lb_next_close("out of memory");
	if (b->len >= read_limit(s, b))
		lb_buf_compact(b);
	if (b->len >= read_limit(s, b))
		return lb_next(LB_GO);
	n = s->conn->tr.ops->read(&s->conn->tr, b->data + b->len,
	    read_limit(s, b) - b->len);
	if (n == 0)
		return server_eof(s);
	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    server_failed(s, "read error", errno);
	if ((uint32_t)n == read_limit(s, b) - b->len)
		s->down_bulk = true;	/* splice from now on (tunnels) */
	b->len += (uint32_t)n;
	count_bytes(s, 0, (uint64_t)n);
	if (s->state == SESS_TUNNEL) {
		if (s->persist_learn)
			lb_persist_server_hello(s, (const uint8_t *)b->data +
			    b->fwd, b->len - b->fwd);
		b->parsed = b->fwd = b->len;
		tunnel_activity(s);
		return lb_next(LB_GO);
	}
	s->sexp = lb_now(s) + LB_SEC(lb_tmo(s)->server);
	return s->proto->response(s);
}

static struct lb_next
server_eof(struct lb_session *s)
{
	if (s->state == SESS_TUNNEL) {
		s->rsp_done = true;
		if (rsp_pending(s) > 0)
			return lb_next(LB_GO);
		if (s->proto->half_close)
			return tunnel_shut_client(s);
		return lb_next_close("tunnel closed by server");
	}
	if (!s->rsp_started)
		return server_failed(s, "closed before answering", 0);
	return s->proto->response_eof(s);
}

/* The backend closed or failed before answering. */
static struct lb_next
server_failed(struct lb_session *s, const char *why, int err)
{
	bool reused = s->conn->requests > 0;

	if (s->state == SESS_TUNNEL)
		return lb_next_close("tunnel closed by server");
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
	if (s->member != NULL && lb_err_local(err) == NULL) {
		CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
		lb_conn_failed(s, why, err, s->rsp_started ? 0 : 502);
	}
	return lb_next_reply(502);
}

static bool
retryable(const struct lb_session *s)
{
	return !s->rsp_started && s->rsp.len == 0 && !s->req_sent;
}

/* ---- the response reaches the client; the transaction ends ---- */

static struct lb_next
client_write(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	ssize_t n;

	if (s->down.len > 0)
		return client_splice_out(s);
	if (lb_buf_pending(b) == 0)
		return lb_next(LB_GO);
	n = s->cli.ops->write(&s->cli, b->data + b->off, lb_buf_pending(b));
	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    lb_next_close("client write error");
	b->off += (uint32_t)n;
	s->rsp_bytes += (uint64_t)n;
	CTR_ADD(vs_ctr(s)->bytes_out, (uint64_t)n);
	if (s->state == SESS_FORWARD || s->state == SESS_REPLY)
		s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->client);
	/* the server waits on the client, not the other way round */
	if (s->state == SESS_FORWARD && s->sexp != 0 && s->conn != NULL &&
	    s->conn->connected)
		s->sexp = lb_now(s) + LB_SEC(lb_tmo(s)->server);
	if (lb_buf_pending(b) > 0)
		return lb_next(LB_GO);
	lb_buf_compact(b);
	return client_flushed(s);
}

/* Every byte of the response is with the client. */
static struct lb_next
client_flushed(struct lb_session *s)
{
	if (s->state == SESS_REPLY) {
		lb_txn_log(s, s->term);
		return close_client(s);
	}
	if (s->state == SESS_TUNNEL && s->rsp_done && s->proto->half_close)
		return tunnel_shut_client(s);
	if (s->rsp_done)
		return transaction_end(s);
	return lb_next(LB_GO);
}

/* The whole response came: the member and its connection are let go
 * (the connection back to the idle pool when both sides allow it); the
 * transaction ends once the client has every byte. */
static struct lb_next
response_done(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	/* An answer before the whole request went out: what is left of the
	 * request belongs to no one; neither side can be reused. */
	bool req_all_sent = s->req_done && lb_buf_pending(&s->req) == 0;

	s->rsp_done = true;
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
	return lb_next(LB_GO);
}

static struct lb_next
transaction_end(struct lb_session *s)
{
	lb_txn_log(s, "--");
	if (s->keep_alive && s->req_done && !s->cli_eof && !s->t->draining)
		return next_request(s);
	return close_client(s);
}

/* The keep-alive step: back to WAIT_REQ for the next request, or on
 * with one pipelined behind the last. */
static struct lb_next
next_request(struct lb_session *s)
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
	s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->keep_alive);
	s->sexp = 0;
	if (b->len == 0)
		return lb_next(LB_GO);
	s->state = SESS_READ_HEAD;
	s->t_req = lb_now(s);
	s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->http_request);
	return request(s);
}

/* Closes the client side for writing and reads what it still sends until
 * it closes too (or a second passes), so that unread request bytes do not
 * make the kernel reset the connection under the reply. */
static struct lb_next
close_client(struct lb_session *s)
{
	if (s->cli_eof)
		return lb_next_close("done");
	s->cli.ops->shutdown_write(&s->cli);
	lb_buf_detach(&s->rsp, &s->t->bufs);
	s->state = SESS_LINGER;
	s->cexp = lb_now(s) + 1.0;
	s->sexp = 0;
	return lb_next(LB_GO);
}

/* ---- TUNNEL ---- */

/* From here on bytes go both ways unchanged: what either buffer holds
 * is forwarded as it is. */
static void
tunnel(struct lb_session *s)
{
	s->state = SESS_TUNNEL;
	s->rsp.parsed = s->rsp.fwd = s->rsp.len;
	s->req.parsed = s->req.fwd = s->req.len;
	tunnel_activity(s);
}

/* A tunnel closes after timeout tunnel (unset: the longer of client and
 * server) with no byte moving either way. */
static void
tunnel_activity(struct lb_session *s)
{
	const struct lb_timeouts *t = lb_tmo(s);
	uint64_t ms = t->tunnel > 0 ? t->tunnel : t->client > t->server ?
	    t->client : t->server;

	s->cexp = s->sexp = lb_now(s) + LB_SEC(ms);
}

/* A tunnel's client closed its side: the server gets the FIN once it
 * has every byte before it, and may still answer.  When the client has
 * the server's FIN already, the session ends at once: close(2) sends
 * this one (both sides read to their end, so it is a FIN, not a reset),
 * and a shutdown(2) first would be a system call for nothing. */
static void
tunnel_pass_fin(struct lb_session *s)
{
	if (s->state != SESS_TUNNEL || !s->cli_eof || s->srv_shut ||
	    s->conn == NULL || !s->conn->connected || req_pending(s) > 0)
		return;
	if (!s->cli_shut)
		s->conn->tr.ops->shutdown_write(&s->conn->tr);
	s->srv_shut = true;
}

/* half_close: the member closed and the client has every byte it sent:
 * the client gets the FIN, and may go on sending until it closes too
 * (if the server has the client's FIN already, close(2) sends it, as
 * in tunnel_pass_fin). */
static struct lb_next
tunnel_shut_client(struct lb_session *s)
{
	if (!s->cli_shut) {
		if (!s->srv_shut)
			s->cli.ops->shutdown_write(&s->cli);
		s->cli_shut = true;
	}
	return tunnel_next(s);
}

/* half_close: the end once both sides closed, and each one's FIN went
 * to the other; until then, on. */
static struct lb_next
tunnel_next(const struct lb_session *s)
{
	return s->proto->half_close && s->cli_shut && s->srv_shut ?
	    lb_next_close("done") : lb_next(LB_GO);
}

/* ---- TUNNEL with splice(2): bytes move through a pipe per direction,
 * never through the buffers ---- */

/* Whether a direction of the tunnel moves its bytes through p: it does
 * once it has one; it gets one when both sockets are plain (TLS must be
 * read), its buffer b has nothing left to send, and a read has filled
 * the buffer (bulk: small messages cost less copied than spliced, as
 * HAProxy's splice-auto has it).  Without a pipe to be had
 * (descriptors), the buffers serve. */
static bool
splicing(struct lb_session *s, struct lb_pipe *p, const struct lb_buf *b)
{
	if (p->rd >= 0)
		return true;
	if (!(p == &s->up ? s->up_bulk : s->down_bulk))
		return false;
	if (!s->proto->splice || s->no_splice ||
	    s->cli.ops != &lb_transport_plain || s->conn == NULL ||
	    s->conn->tr.ops != &lb_transport_plain || lb_buf_pending(b) > 0)
		return false;
	if (lb_pipe_get(&s->t->pipes, p) < 0) {
		s->no_splice = true;
		return false;
	}
	return true;
}

static struct lb_next
client_splice_in(struct lb_session *s)
{
	ssize_t n;

	if (s->up.len >= s->up.cap)
		return lb_next(LB_GO);
	n = lb_splice_in(s->cli.fd, &s->up);
	if (n == 0)
		return client_eof(s);
	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    lb_next_close("client read error");
	CTR_ADD(vs_ctr(s)->bytes_in, (uint64_t)n);
	tunnel_activity(s);
	return lb_next(LB_GO);
}

static struct lb_next
server_splice_out(struct lb_session *s)
{
	ssize_t n = lb_splice_out(&s->up, s->conn->tr.fd);

	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    server_failed(s, "write error", errno);
	count_bytes(s, (uint64_t)n, 0);
	tunnel_pass_fin(s);
	return tunnel_next(s);
}

static struct lb_next
server_splice_in(struct lb_session *s)
{
	ssize_t n;

	if (s->down.len >= s->down.cap)
		return lb_next(LB_GO);
	n = lb_splice_in(s->conn->tr.fd, &s->down);
	if (n == 0)
		return server_eof(s);
	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    server_failed(s, "read error", errno);
	count_bytes(s, 0, (uint64_t)n);
	tunnel_activity(s);
	return lb_next(LB_GO);
}

static struct lb_next
client_splice_out(struct lb_session *s)
{
	ssize_t n = lb_splice_out(&s->down, s->cli.fd);

	if (n < 0)
		return errno == EAGAIN ? lb_next(LB_GO) :
		    lb_next_close("client write error");
	s->rsp_bytes += (uint64_t)n;
	CTR_ADD(vs_ctr(s)->bytes_out, (uint64_t)n);
	if (s->down.len > 0)
		return lb_next(LB_GO);
	return client_flushed(s);
}

/* ---- REPLY: replies edged makes ---- */

static struct lb_next
reply(struct lb_session *s, int status)
{
	const char *text;
	size_t len;
	int n;

	if (s->rsp_started)	/* a head went out: all we can do is cut */
		return lb_next_close("aborted after response start");
	if (!s->proto->replies) {
		/* no protocol to answer in: the client sees the close */
		s->term = lb_txn_reply_term(s, status);
		return lb_next_close(status == 503 ? "no member reachable" :
		    "server failed");
	}
	if (lb_http_has_error_reply(status)) {
		text = lb_http_error_reply(status, &len);
		return reply_with(s, status, text, len);
	}
	/* a status of an application rule's (tarpit): a page made */
	n = lb_http_rule_reply(s->t->scratch, LB_BUF_SIZE, status, "", NULL,
	    NULL, 0, s->is_head);
	if (n < 0)
		return reply(s, 500);
	return reply_with(s, status, s->t->scratch, (size_t)n);
}

/* A tarpit rule holds the request: nothing more is read from the client
 * nor sent to it until timeout tarpit (timeout connect's when unset),
 * when client_timeout answers status. */
static struct lb_next
tarpit(struct lb_session *s, int status)
{
	const struct lb_timeouts *tmo = lb_tmo(s);

	s->state = SESS_TARPIT;
	s->tarpit_status = status;
	s->term = "PT";			/* HAProxy's: tarpitted */
	s->cexp = lb_now(s) + LB_SEC(tmo->tarpit > 0 ? tmo->tarpit :
	    tmo->connect);
	s->sexp = 0;
	return lb_next(LB_GO);
}

/* Sends text (len bytes: a whole response, with Connection: close) as
 * the answer to the transaction, then closes. */
static struct lb_next
reply_with(struct lb_session *s, int status, const char *text, size_t len)
{
	lb_txn_count_status(s, status);
	s->term = lb_txn_reply_term(s, status);
	if (s->t_head == 0)
		s->t_head = lb_now(s);	/* refused before a whole head */
	if (s->conn != NULL)
		lb_conn_release(s, false);
	lb_member_drop(s);
	lb_buf_detach(&s->rsp, &s->t->bufs);
	if (lb_buf_attach(&s->rsp, &s->t->bufs) < 0)
		return lb_next_close("out of memory");
	memcpy(s->rsp.data, text, len);
	s->rsp.len = s->rsp.parsed = s->rsp.fwd = (uint32_t)len;
	s->rsp_started = true;
	s->keep_alive = false;
	s->state = SESS_REPLY;
	s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->client);
	s->sexp = 0;
	return lb_next(LB_GO);
}

/* ---- timeouts ----
 *
 * While a request is forwarded both deadlines run, and each side's moves
 * the other's on (client_write, request_sent); when neither side moves,
 * the one edged waits on is the one at fault.  That is the client when
 * edged holds response bytes it does not take, or when the member has
 * every request byte there is and the request is not whole; otherwise
 * the member.  The other side's deadline, should it come first, is put
 * off: a client that stops reading (or sending) must not count as the
 * member's error, nor a slow member cut the client that waits for it.
 */

static struct lb_next
client_timeout(struct lb_session *s)
{
	switch (s->state) {
	case SESS_PROXY:
		/* a header begun and never whole */
		if (s->pp_len > 0)
			CTR_ADD(vs_ctr(s)->errors, 1);
		return lb_next_close("client timeout waiting for its PROXY "
		    "header");
	case SESS_READ_HEAD:
		return lb_next_reply(408);
	case SESS_TARPIT:
		return lb_next_reply(s->tarpit_status);
	case SESS_QUEUED:
		unqueue_request(s);
		s->term = "sQ";		/* HAProxy's: timeout in the queue */
		return lb_next_reply(503);
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
			s->cexp = lb_now(s) + LB_SEC(lb_tmo(s)->client);
			return lb_next(LB_GO);
		}
		if (!s->req_done && !s->rsp_started)
			return lb_next_reply(408);
		break;
	default:
		break;
	}
	return lb_next_close("client timeout");
}

static struct lb_next
server_timeout(struct lb_session *s)
{
	if (s->conn != NULL && !s->conn->connected)
		return lb_conn_retry(s, "connect timeout", ETIMEDOUT, false,
		    503);
	if (s->state == SESS_FORWARD && s->cexp != 0 && waits_on_client(s)) {
		s->sexp = lb_now(s) + LB_SEC(lb_tmo(s)->server);
		return lb_next(LB_GO);
	}
	/* an idempotent request with no body sent may go elsewhere */
	if (s->conn != NULL && retryable(s) && s->idempotent)
		return lb_conn_retry(s, "no answer within timeout server",
		    ETIMEDOUT, false, 504);
	if (s->member != NULL) {
		CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
		atomic_fetch_add_explicit(&s->member->passive_fails, 1,
		    memory_order_relaxed);
		lb_conn_failed(s, "no answer within timeout server", 0,
		    s->rsp_started ? 0 : 504);
	}
	if (!s->rsp_started)
		return lb_next_reply(504);
	return lb_next_close("server timeout");
}

static bool
waits_on_client(const struct lb_session *s)
{
	return lb_buf_pending(&s->rsp) > 0 ||
	    (!s->req_done && lb_buf_pending(&s->req) == 0);
}

/* ---- what to wait for ---- */

/* Both connections' watchers and the timer, as the state and the
 * buffers need them now. */
static void
watch(struct lb_session *s)
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
	arm_timer(s);
}

static int
client_events(const struct lb_session *s)
{
	int ev = rsp_pending(s) > 0 ? EV_WRITE : 0;
	/* A TLS read that must write first (a key update's answer) waits
	 * for writability too.  Readability is the state's to ask for: a
	 * read that waits for it asks for nothing else, and adding it
	 * where the buffer has no room would spin. */
	int want = (int)(s->cli.want & LB_TR_WANT_WRITE);

	switch (s->state) {
	case SESS_HANDSHAKE:
		return s->cli.want ? (int)s->cli.want : EV_READ;
	case SESS_PROXY:
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
	if (req_pending(s) > 0)
		ev |= EV_WRITE;
	if (!s->rsp_done && rsp_has_room(s))
		ev |= EV_READ;
	return ev | (int)(s->conn->tr.want & LB_TR_WANT_WRITE);
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

/* Arms the timer for the earliest deadline. */
static void
arm_timer(struct lb_session *s)
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

/* ---- buffers and counters ---- */

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
	if (s->up.rd >= 0)
		return s->up.len < s->up.cap;
	return s->req.data == NULL || s->req.len < read_limit(s, &s->req) ||
	    req_shiftable(s) > 0;
}

static bool
rsp_has_room(const struct lb_session *s)
{
	if (s->down.rd >= 0)
		return s->down.len < s->down.cap;
	return s->rsp.data == NULL || s->rsp.len < read_limit(s, &s->rsp) ||
	    s->rsp.off > 0;
}

/* Bytes read from the client and not yet with the member: in the
 * request buffer, or in the splice pipe. */
static uint32_t
req_pending(const struct lb_session *s)
{
	return lb_buf_pending(&s->req) + s->up.len;
}

static uint32_t
rsp_pending(const struct lb_session *s)
{
	return lb_buf_pending(&s->rsp) + s->down.len;
}

/* Room at the end of the request buffer: move unwritten bytes down. */
static void
req_make_room(struct lb_session *s)
{
	uint32_t shift = req_shiftable(s);

	lb_buf_shift(&s->req, shift);
	s->msg_start = s->msg_start > shift ? s->msg_start - shift : 0;
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

static struct lb_ctr *
vs_ctr(struct lb_session *s)
{
	return &s->t->ctr_vs[s->vs->index];
}

/* ---- the end ---- */

void
lb_session_end(struct lb_session *s, const char *why)
{
	struct lb_thread *t = s->t;

	log_debug("virtual-server %s: session closed: %s", s->vs->conf->name,
	    why);
	lb_txn_count_unanswered(s);
	/* a transaction cut short still gets its line */
	if (s->t_head != 0)
		lb_txn_log(s, s->term != NULL ? s->term :
		    s->state == SESS_TUNNEL ? "--" :
		    strncmp(why, "client", 6) == 0 ? "CD" :
		    strncmp(why, "server", 6) == 0 ||
		    strncmp(why, "response", 8) == 0 ? "SD" : "PD");
	if (s->state == SESS_QUEUED)
		unqueue_request(s);
	free(s->vars);
	free(s->pp_buf);
	lb_rule_tracks_end(t->rt->sticks, s->tracks);
	free(s->tracks);
	free(s->reqline);
	unqueue(s);
	ev_io_stop(t->loop, &s->io);
	ev_timer_stop(t->loop, &s->timer);
	if (s->conn != NULL)
		lb_conn_release(s, false);
	lb_member_drop(s);
	s->cli.ops->close(&s->cli);
	lb_buf_detach(&s->req, &t->bufs);
	lb_buf_detach(&s->rsp, &t->bufs);
	lb_pipe_put(&t->pipes, &s->up);
	lb_pipe_put(&t->pipes, &s->down);
	unlink_session(t, s);
	CTR_ADD(t->ctr_vs[s->vs->index].cur, -1);
	atomic_fetch_sub_explicit(&s->vs->conns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&t->rt->conns, 1, memory_order_relaxed);
	free(s);
	lb_listeners_resume(t);
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

/* Off the thread's queue of writes for the loop's turn (queue_flush). */
static void
unqueue(struct lb_session *s)
{
	if (s->flush_pprev == NULL)
		return;
	*s->flush_pprev = s->flush_next;
	if (s->flush_next != NULL)
		s->flush_next->flush_pprev = s->flush_pprev;
	s->flush_pprev = NULL;
}

/*
 * Closing an idle keep-alive connection races with the request its
 * client may be sending at that very moment, which would then be lost
 * (the client sees a reset).  So a draining session is closed only
 * between requests: a busy client gets its next response with
 * "Connection: close" (the response head sees t->draining), and one
 * that stays idle is closed after LB_DRAIN_IDLE seconds of silence, when
 * it is very unlikely to be sending.
 */
void
lb_session_drain(struct lb_session *s)
{
	s->keep_alive = false;
	if (s->state == SESS_WAIT_REQ) {
		ev_tstamp by = lb_now(s) + LB_DRAIN_IDLE;

		if (s->cexp == 0 || by < s->cexp) {
			s->cexp = by;
			arm_timer(s);
		}
	}
}
