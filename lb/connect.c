/*
 * lb/connect.c - choosing a member and getting a connection to it: idle
 * connections kept per thread and per member and reused with HAProxy's
 * "http-reuse safe" rule (a client's first request gets a connection of
 * its own; later ones may take an idle one), bounded retries on another
 * member when a connect fails.  A connect that fails for want of the
 * edge's own resources (descriptors, memory) is none of the member's
 * doing: it is answered 503 at once, with no retry and no count against
 * the member, and reported once per second per thread.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "health.h"
#include "log.h"
#include "proxy_proto.h"
#include "session.h"
#include "tls_hello.h"
#include "tsock.h"
#include "transport_tls.h"

/* ---- members ---- */

struct lb_member *
lb_pick_member(struct lb_session *s, const char *key, size_t keylen)
{
	return lb_pick(&s->t->bal[s->pool->index], key, keylen, s->failed,
	    s->retries);
}

void
lb_member_take(struct lb_session *s, struct lb_member *m)
{
	struct lb_ctr *c = &s->t->ctr_member[m->index];

	atomic_fetch_add_explicit(&m->st->active, 1, memory_order_relaxed);
	CTR_ADD(c->cur, 1);
	CTR_ADD(s->t->ctr_pool[s->pool->index].cur, 1);
	s->member = m;
	s->mname = m->name;
	s->dispatched = false;
}

void
lb_member_drop(struct lb_session *s)
{
	struct lb_member *m = s->member;

	if (m == NULL)
		return;
	atomic_fetch_sub_explicit(&m->st->active, 1, memory_order_relaxed);
	CTR_ADD(s->t->ctr_member[m->index].cur, -1);
	CTR_ADD(s->t->ctr_pool[s->pool->index].cur, -1);
	s->member = NULL;
	if (m->maxconn > 0)
		lb_session_queue_kick(s->t, s->pool);
}

/* ---- connections ---- */

static void
conn_free(struct lb_conn *c)
{
	ev_io_stop(c->thread->loop, &c->io);
	c->tr.ops->close(&c->tr);
	free(c);
}

static void
idle_remove(struct lb_idle_list *l, struct lb_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	l->n--;
}

static void
idle_push(struct lb_idle_list *l, struct lb_conn *c)
{
	c->prev = NULL;
	c->next = l->head;
	if (l->head != NULL)
		l->head->prev = c;
	l->head = c;
	l->n++;
}

void
lb_conn_idle_event(struct lb_conn *c)
{
	char junk;
	ssize_t n = c->tr.ops->read(&c->tr, &junk, 1);

	/* TLS may have read a message of its own (a session ticket, a key
	 * update): still idle */
	if (n < 0 && errno == EAGAIN) {
		if (c->tr.want != 0 && c->tr.want != LB_TR_WANT_READ) {
			ev_io_stop(c->thread->loop, &c->io);
			ev_io_set(&c->io, c->tr.fd, EV_READ | (int)c->tr.want);
			ev_io_start(c->thread->loop, &c->io);
		}
		return;
	}
	/* Otherwise an idle connection has nothing to say: this is its
	 * close (or junk, which makes it unusable anyway). */
	idle_remove(&c->thread->idle[c->member->index], c);
	conn_free(c);
}

void
lb_conn_close_idle(struct lb_thread *t)
{
	for (size_t i = 0; i < t->rt->nmembers; i++)
		while (t->idle[i].head != NULL) {
			struct lb_conn *c = t->idle[i].head;

			idle_remove(&t->idle[i], c);
			conn_free(c);
		}
}

void
lb_conn_release(struct lb_session *s, bool reusable)
{
	struct lb_conn *c = s->conn;
	struct lb_idle_list *l;

	if (c == NULL)
		return;
	s->conn = NULL;
	c->sess = NULL;
	c->requests++;
	l = &c->thread->idle[c->member->index];
	if (!reusable || !c->connected || c->client_bound ||
	    l->n >= LB_IDLE_PER_MEMBER || c->thread->draining) {
		conn_free(c);
		return;
	}
	/* Idle, it waits for the server's close.  Usually it already waits
	 * for a response: leave it armed, as re-setting an ev_io costs a
	 * syscall even when nothing changes. */
	if (!ev_is_active(&c->io) ||
	    (c->io.events & (EV_READ | EV_WRITE)) != EV_READ) {
		ev_io_stop(c->thread->loop, &c->io);
		ev_io_set(&c->io, c->tr.fd, EV_READ);
		ev_io_start(c->thread->loop, &c->io);
	}
	idle_push(l, c);
}

static struct lb_conn *
take_idle(struct lb_session *s)
{
	struct lb_idle_list *l = &s->t->idle[s->member->index];
	struct lb_conn *c = l->head;

	if (c == NULL || s->nreq <= 1 || s->fresh_conn)
		return NULL;
	idle_remove(l, c);
	return c;
}

int
lb_bind_source(int fd, const struct lb_pool_conf *p)
{
	int one = 1;

	if (p->source.ss_family == AF_UNSPEC)
		return 0;
	/* the port at connect, from the 4-tuples that are free, rather
	 * than one held from bind: many connections to many members */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	return bind(fd, (const struct sockaddr *)&p->source, p->sourcelen);
}

int
lb_transparent_socket(struct lb_runtime *rt, const union lb_sockaddr *client,
    const struct lb_member *m, int socktype)
{
	union lb_sockaddr from = *client;
	int one = 1, fd;

	if (from.sa.sa_family != m->addr.ss_family) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if ((fd = lb_tsock_take(rt->tsock, from.sa.sa_family, socktype)) < 0)
		return -1;
	if (from.sa.sa_family == AF_INET)
		from.sin.sin_port = 0;
	else
		from.sin6.sin6_port = 0;
	if (socktype == SOCK_STREAM)
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
	if (bind(fd, &from.sa, from.sa.sa_family == AF_INET ?
	    sizeof(from.sin) : sizeof(from.sin6)) < 0) {
		one = errno;
		(void)close(fd);
		errno = one;
		return -1;
	}
	return fd;
}

/* Starts a non-blocking connect to s's member, from its pool's
 * source-address when it has one, from the client's when the pool is
 * transparent; returns the fd, or -1 with errno. */
static int
start_connect(const struct lb_session *s, bool *connected)
{
	const struct lb_member *m = s->member;
	int one = 1, fd;

	if (s->pool->conf->transparent)
		fd = lb_transparent_socket(s->t->rt, &s->peer, m, SOCK_STREAM);
	else
		fd = socket(m->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (lb_bind_source(fd, s->pool->conf) < 0)
		goto failed;
	if (connect(fd, (const struct sockaddr *)&m->addr, m->addrlen) == 0) {
		*connected = true;
		return fd;
	}
	if (errno == EINPROGRESS)
		return fd;
failed:
	one = errno;
	(void)close(fd);
	errno = one;
	return -1;
}

/* Re-encryption: the pool's TLS on the new connection, with its SNI, or
 * the member's address as the name its certificate must carry.  A
 * runtime with no https and no re-encryption may have no TLS at all
 * (lb_runtime_tls is for those that do). */
static int
tls_setup(struct lb_session *s, struct lb_conn *c)
{
	SSL_CTX *ctx = s->t->rt->tls == NULL ? NULL :
	    lb_tls_client_ctx(s->t->rt->tls, s->pool->index);
	const struct lb_tls_client_conf *tc = &s->pool->conf->tls;
	char ip[INET6_ADDRSTRLEN];

	if (ctx == NULL)
		return 0;
	addr_fmt(ip, sizeof(ip), (const struct sockaddr *)&s->member->addr);
	return lb_tls_connect(&c->tr, ctx, c->tr.fd, tc->sni[0] ? tc->sni :
	    NULL, ip);
}

/* What a version 2 header tells the member of the client's TLS: what
 * edged agreed with it (https), or what its ClientHello said. */
static const struct lb_proxy_tlvs *
proxy_tlvs(struct lb_session *s, struct lb_proxy_tlvs *t,
    struct lb_tls_desc *d, struct lb_tls_hello *h)
{
	if (s->member->send_proxy != 2)
		return NULL;
	if (s->proto == &lb_proto_passthrough)
		return lb_pass_tlvs(s, t, h);
	if (s->cli.ops != &lb_transport_tls)
		return NULL;
	lb_tls_describe(&s->cli, d);
	*t = (struct lb_proxy_tlvs){ .ssl = true, .authority = d->sni,
	    .alpn = d->alpn, .ssl_version = d->version,
	    .ssl_cipher = d->cipher, .ssl_cert = d->client_cert };
	return t;
}

int
lb_conn_send_proxy(struct lb_session *s, struct lb_conn *c)
{
	union lb_sockaddr local;
	struct lb_proxy_tlvs t;
	struct lb_tls_desc d;
	struct lb_tls_hello h;

	if (!lb_session_local(s, &local))
		local.sa.sa_family = AF_UNSPEC;
	return lb_proxy_send(c->tr.fd, (int)s->member->send_proxy,
	    &s->peer.sa, &local.sa, proxy_tlvs(s, &t, &d, &h));
}

static struct lb_conn *
new_conn(struct lb_session *s)
{
	struct lb_conn *c = calloc(1, sizeof(*c));
	bool connected = false;
	int fd;

	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((fd = start_connect(s, &connected)) < 0) {
		free(c);
		return NULL;
	}
	c->tr.ops = &lb_transport_plain;
	c->tr.fd = fd;
	if (tls_setup(s, c) < 0) {
		(void)close(fd);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->thread = s->t;
	c->member = s->member;
	c->proxied = s->member->send_proxy > 0;
	c->client_bound = c->proxied || s->pool->conf->transparent;
	/* with TLS, a connect that is done at once still needs its
	 * handshake (server_connected, session.c, which also sends the
	 * PROXY header of one that is not done yet) */
	c->connected = connected && c->tr.ops == &lb_transport_plain;
	if (c->connected && c->proxied && lb_conn_send_proxy(s, c) < 0) {
		int err = errno;

		c->tr.ops->close(&c->tr);
		free(c);
		errno = err;
		return NULL;
	}
	ev_io_init(&c->io, lb_session_server_io, fd, 0);
	c->io.data = c;
	return c;
}

void
lb_conn_dispatched(struct lb_session *s, bool new_conn)
{
	struct lb_ctr *c = &s->t->ctr_member[s->member->index];

	/* once per request and member, even if a closed idle connection
	 * made it go out again on a fresh one */
	if (!s->dispatched)
		CTR_ADD(c->requests, 1);
	s->dispatched = true;
	if (new_conn) {
		CTR_ADD(c->total, 1);
		CTR_ADD(s->t->ctr_pool[s->pool->index].total, 1);
	}
}

/* ---- the edge's own trouble ---- */

#define LOCAL_REPORT_INTERVAL	1.0	/* seconds between two lines */

/* Each worker thread reports its own: no lock on the data path, and a
 * line per thread and second at most. */
static _Thread_local struct lb_local_trouble local_trouble;

static void
report_local(struct lb_session *s, const char *why, int err)
{
	unsigned long n;
	double span;

	if (!lb_local_trouble_note(&local_trouble, ev_now(s->t->loop),
	    LOCAL_REPORT_INTERVAL, &n, &span))
		return;
	if (span == 0)
		log_warn("virtual-server %s pool %s member %s: %s: %s (%s); "
		    "answering 503 without retrying; members' health "
		    "unchanged", s->vs->conf->name, s->pool->conf->name,
		    s->member->name, why, strerror(err), lb_err_local(err));
	else
		log_warn("virtual-server %s pool %s member %s: %s: %s (%s); "
		    "%lu request%s answered 503 in the last %.1f s; members' "
		    "health unchanged", s->vs->conf->name, s->pool->conf->name,
		    s->member->name, why, strerror(err), lb_err_local(err), n,
		    n == 1 ? "" : "s", span);
}

/* A connection opened: if the edge was short of resources, say that it
 * no longer is. */
static void
report_recovered(struct lb_session *s)
{
	unsigned long n;

	if (lb_local_trouble_over(&local_trouble, ev_now(s->t->loop),
	    LOCAL_REPORT_INTERVAL, &n))
		log_info("virtual-server %s pool %s member %s: connections to "
		    "members open again; %lu more request%s answered 503 "
		    "since the last warning", s->vs->conf->name,
		    s->pool->conf->name, s->member->name, n, n == 1 ? "" : "s");
}

/* The edge cannot open a connection: another member would fail the same
 * way, and this one did nothing wrong.  The member is let go first, so
 * that the 503 is edged's alone (the virtual server's and the pool's
 * 5xx, not the member's). */
static struct lb_next
refuse_local(struct lb_session *s, const char *why, int err)
{
	report_local(s, why, err);
	lb_member_drop(s);
	s->term = "RC";
	return lb_next_reply(503);
}

/* ---- getting one ---- */

struct lb_next
lb_conn_get(struct lb_session *s)
{
	struct lb_conn *c = take_idle(s);
	const struct lb_timeouts *t = &s->t->rt->conf->timeouts;

	s->fresh_conn = false;
	if (c == NULL) {
		if ((c = new_conn(s)) == NULL)
			return lb_conn_retry(s, "cannot open a connection",
			    errno, false, 503);
		report_recovered(s);
	}
	c->sess = s;
	s->conn = c;
	s->sexp = ev_now(s->t->loop) + (ev_tstamp)(c->connected ? t->server :
	    t->connect) / 1000.0;
	if (c->connected) {
		s->t_conn = ev_now(s->t->loop);
		lb_conn_dispatched(s, c->requests == 0);
	}
	return lb_next(LB_GO);
}

/* then: what the client gets now ("attempt 1 of at most 4" while
 * retries remain) */
static void
log_failure(struct lb_session *s, const char *why, int err,
    const char *then)
{
	char addr[128];

	conf_fmt_sockaddr(addr, sizeof(addr), &s->member->addr);
	log_warn("virtual-server %s pool %s member %s %s: %s%s%s (%s)",
	    s->vs->conf->name, s->pool->conf->name, s->member->name, addr,
	    why, err ? ": " : "", err ? strerror(err) : "", then);
}

void
lb_conn_failed(struct lb_session *s, const char *why, int err, int status)
{
	char then[64];

	if (status != 0)
		snprintf(then, sizeof(then), "not retried; answering %d",
		    status);
	else
		snprintf(then, sizeof(then), "the response cut short");
	log_failure(s, why, err, then);
}

struct lb_next
lb_conn_retry(struct lb_session *s, const char *why, int err,
    bool fresh_same, int status)
{
	struct lb_member *m;
	char then[64];

	if (s->conn != NULL)
		lb_conn_release(s, false);
	if (lb_err_local(err) != NULL)
		return refuse_local(s, why, err);
	if (fresh_same) {
		/* the server closed an idle connection as we used it */
		s->fresh_conn = true;
		s->req.off = s->msg_start;
		return lb_conn_get(s);
	}
	snprintf(then, sizeof(then), "attempt %u of at most %u",
	    s->retries + 1, LB_CONNECT_RETRIES + 1);
	log_failure(s, why, err, then);
	CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
	atomic_fetch_add_explicit(&s->member->passive_fails, 1,
	    memory_order_relaxed);
	if (s->retries >= LB_CONNECT_RETRIES)
		return lb_next_reply(status);
	s->failed[s->retries++] = s->member;
	lb_member_drop(s);
	if ((m = lb_pick_member(s, NULL, 0)) == NULL)
		return lb_next_reply(status);
	lb_member_take(s, m);
	s->req.off = s->msg_start;
	s->fresh_conn = true;
	return lb_conn_get(s);
}
