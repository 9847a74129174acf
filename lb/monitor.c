/*
 * lb/monitor.c - probing members: one thread with its own event loop per
 * worker process, so that each member is probed once per interval
 * however many threads serve traffic.  A probe never blocks: connect,
 * send, read, judge, close, all on non-blocking sockets with a timeout.
 * The verdict goes through the rise/fall machine (health.c); a change is
 * logged with its reason and published in the member's atomics, which
 * every data-path thread reads at its next pick.  udp and dns probes send
 * one datagram on a connected socket and read one back: a port
 * unreachable (ECONNREFUSED) fails them at once.  A probe that fails for
 * want of the edge's own resources (no descriptor, no memory) says
 * nothing of the member: it is skipped, its health and last check left
 * as they were, and reported once per second.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "dns.h"
#include "log.h"
#include "proxy_proto.h"
#include "session.h"
#include "transport_tls.h"

#define PROBE_BUF	4096

enum probe_state { PROBE_IDLE, PROBE_CONNECTING, PROBE_HANDSHAKE,
    PROBE_SENDING, PROBE_READING };

struct lb_probe {
	struct lb_monitors *mons;
	struct lb_member *member;
	const struct lb_rt_pool *pool;
	const struct lb_monitor_conf *conf;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	pcre2_code *re;
	struct lb_health health;
	enum probe_state state;
	ev_timer timer;
	ev_io io;
	int fd;
	struct lb_transport tr;		/* on fd: plain, or TLS (https) */
	SSL_CTX *tls;			/* https: the pool's, or one that does
					 * not verify */
	const char *sni;		/* NULL: none sent */
	char ip[INET6_ADDRSTRLEN];	/* what the certificate must name
					 * when there is no SNI */
	ev_tstamp started;
	unsigned send_proxy;		/* the member's, 0: no PROXY header */
	uint16_t dns_id;		/* dns: the query's, new each probe */
	char req[2048];
	size_t reqlen, sent;
	char buf[PROBE_BUF];
	size_t len;
};

struct lb_monitors {
	struct lb_runtime *rt;
	struct ev_loop *loop;
	ev_async stop;
	pthread_t thread;
	bool running;
	struct lb_probe *probes;
	size_t n;
	struct lb_local_trouble trouble;	/* probes skipped */
};

#define SKIP_REPORT_INTERVAL	1.0	/* seconds between two lines */

/* ---- verdicts ---- */

struct verdict {
	bool ok;
	bool passive;			/* live traffic decided, not a probe */
	int result;			/* enum lb_check_result or HTTP status */
	char why[384];
};

static void
describe(const struct lb_probe *p, const struct verdict *v, char *buf,
    size_t size)
{
	unsigned rise = p->conf->rise, fall = p->conf->fall;
	const struct lb_health *h = &p->health;

	if (v->passive)
		snprintf(buf, size, "%s (live traffic)", v->why);
	else if (v->ok)
		snprintf(buf, size, "%s, %u/%u checks passed", v->why,
		    h->ok_streak < rise ? h->ok_streak : rise, rise);
	else if (h->fail_streak < fall)
		snprintf(buf, size, "%s, first check failed", v->why);
	else
		snprintf(buf, size, "%s, %u/%u checks failed", v->why, fall,
		    fall);
}

/*
 * The probe's verdict, then the live traffic's: connect failures and
 * timeouts seen since the last probe count as failed checks after it,
 * so a member that answers its monitor but not its clients goes down.
 */
static enum lb_health_change
record(struct lb_probe *p, struct verdict *v)
{
	enum lb_health_change c = lb_health_record(&p->health, v->ok,
	    p->conf->rise, p->conf->fall);
	unsigned passive = atomic_exchange(&p->member->passive_fails, 0);

	for (unsigned i = 0; i < passive && c == LB_HEALTH_SAME; i++) {
		c = lb_health_record(&p->health, false, p->conf->rise,
		    p->conf->fall);
		if (c == LB_HEALTH_WENT_DOWN) {
			v->ok = false;
			v->passive = true;
			snprintf(v->why, sizeof(v->why), "%u requests could not "
			    "connect or timed out", passive);
		}
	}
	return c;
}

static void
publish(struct lb_probe *p, struct verdict *v, ev_tstamp took)
{
	struct lb_member *m = p->member;
	char text[512];

	atomic_store(&m->st->check_result, v->result);
	atomic_store(&m->st->check_us, (unsigned)(took * 1e6));
	switch (record(p, v)) {
	case LB_HEALTH_WENT_UP:
	case LB_HEALTH_WENT_DOWN:
		describe(p, v, text, sizeof(text));
		if (p->health.up)
			atomic_store(&m->st->up_since_ms, clock_coarse_ms());
		atomic_store(&m->up, p->health.up);
		atomic_fetch_add(&m->st->transitions, 1);
		log_msg(p->health.up ? LOG_LVL_INFO : LOG_LVL_WARN,
		    "pool %s member %s %s: %s", p->pool->conf->name, m->name,
		    p->health.up ? "UP" : "DOWN", text);
		break;
	default:
		break;
	}
}

static void
judge_http(const struct lb_probe *p, struct verdict *v)
{
	const struct lb_monitor_conf *c = p->conf;
	const char *body;
	char want[128];
	int status;

	if (p->len < 12 || sscanf(p->buf, "HTTP/1.%*1[01] %3d", &status) != 1) {
		v->result = LB_CHECK_BAD;
		snprintf(v->why, sizeof(v->why), "not an HTTP response");
		return;
	}
	v->result = status;
	if (!lb_expect_status(&c->expect, status)) {
		lb_expect_status_fmt(&c->expect, want, sizeof(want));
		snprintf(v->why, sizeof(v->why), "HTTP %d (expected %s)",
		    status, want);
		return;
	}
	body = strstr(p->buf, "\r\n\r\n");
	body = body ? body + 4 : p->buf + p->len;
	if (!lb_expect_body(body, strlen(body), c->body, p->re)) {
		v->result = LB_CHECK_BODY;
		snprintf(v->why, sizeof(v->why), "HTTP %d, but the body does "
		    "not %s \"%s\"", status, p->re ? "match" : "contain",
		    c->body);
		return;
	}
	v->ok = true;
	snprintf(v->why, sizeof(v->why), "HTTP %d", status);
}

static void
judge_tcp(const struct lb_probe *p, struct verdict *v)
{
	const char *want = p->conf->receive;

	/* a datagram may hold NUL bytes */
	if (want[0] != '\0' && memmem(p->buf, p->len, want, strlen(want)) ==
	    NULL) {
		v->result = LB_CHECK_BAD;
		snprintf(v->why, sizeof(v->why), "reply does not contain "
		    "\"%s\"", want);
		return;
	}
	v->ok = true;
	v->result = LB_CHECK_L4_OK;
	snprintf(v->why, sizeof(v->why), want[0] ||
	    p->conf->type == LB_MONITOR_UDP ? "reply received" : "connected");
}

static void
judge_dns(const struct lb_probe *p, struct verdict *v)
{
	const char *why;

	if (lb_dns_answered((const unsigned char *)p->buf, p->len, p->dns_id,
	    &why) < 0) {
		v->result = LB_CHECK_BAD;
		snprintf(v->why, sizeof(v->why), "%s: %s", p->conf->query,
		    why);
		return;
	}
	v->ok = true;
	v->result = LB_CHECK_L4_OK;
	snprintf(v->why, sizeof(v->why), "%s answered", p->conf->query);
}

/* ---- one probe's cycle ---- */

static void probe_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void probe_wait(struct lb_probe *p, int events);

/* Closes the probe's connection and schedules the next one an interval
 * after this one started.  Returns how long this one took. */
static ev_tstamp
probe_rearm(struct lb_probe *p)
{
	struct ev_loop *loop = p->mons->loop;
	ev_tstamp took = ev_now(loop) - p->started;
	ev_tstamp next = (ev_tstamp)p->conf->interval / 1000.0 - took;

	ev_io_stop(loop, &p->io);
	if (p->fd >= 0)
		p->tr.ops->close(&p->tr);
	p->fd = -1;
	p->state = PROBE_IDLE;
	ev_timer_stop(loop, &p->timer);
	ev_timer_set(&p->timer, next > 0 ? next : 0, 0);
	ev_timer_start(loop, &p->timer);
	return took;
}

static void
probe_finish(struct lb_probe *p, struct verdict *v)
{
	publish(p, v, probe_rearm(p));
}

/* The edge could not run the check (what failed with err, a local
 * error): no verdict, no change to the member's health or history. */
static void
probe_skip(struct lb_probe *p, const char *what, int err)
{
	struct lb_monitors *mons = p->mons;
	unsigned long n;
	double span;

	probe_rearm(p);
	if (!lb_local_trouble_note(&mons->trouble, ev_now(mons->loop),
	    SKIP_REPORT_INTERVAL, &n, &span))
		return;
	if (span == 0)
		log_warn("pool %s member %s: check skipped: %s: %s (%s); "
		    "health unchanged", p->pool->conf->name,
		    p->member->name, what, strerror(err), lb_err_local(err));
	else
		log_warn("pool %s member %s: check skipped: %s: %s (%s); %lu "
		    "check%s skipped in the last %.1f s; health "
		    "unchanged", p->pool->conf->name, p->member->name, what,
		    strerror(err), lb_err_local(err), n, n == 1 ? "" : "s",
		    span);
}

/* A probe got its socket and its connect going: if checks were being
 * skipped, say that they run again. */
static void
probe_resumed(struct lb_probe *p)
{
	struct lb_monitors *mons = p->mons;
	unsigned long n;

	if (lb_local_trouble_over(&mons->trouble, ev_now(mons->loop),
	    SKIP_REPORT_INTERVAL, &n))
		log_info("pool %s member %s: checks run again; %lu more "
		    "check%s skipped since the last warning",
		    p->pool->conf->name, p->member->name, n, n == 1 ? "" : "s");
}

/* A failure of a system call: "what: strerror(err)".  The edge's own
 * (lb_err_local) is no verdict on the member. */
static void
probe_fail(struct lb_probe *p, int result, const char *what, int err)
{
	struct verdict v = { .ok = false, .result = result };

	if (lb_err_local(err) != NULL) {
		probe_skip(p, what, err);
		return;
	}
	snprintf(v.why, sizeof(v.why), "%s: %s", what, strerror(err));
	probe_finish(p, &v);
}

static void
probe_judge(struct lb_probe *p)
{
	struct verdict v = { 0 };

	p->buf[p->len] = '\0';
	if (p->conf->type == LB_MONITOR_DNS)
		judge_dns(p, &v);
	else if (p->conf->type == LB_MONITOR_TCP ||
	    p->conf->type == LB_MONITOR_UDP)
		judge_tcp(p, &v);
	else
		judge_http(p, &v);
	probe_finish(p, &v);
}

/* udp, dns: the datagram goes at once (a connected UDP socket is ready
 * to send), and the probe waits for the one back. */
static void
probe_datagram(struct lb_probe *p)
{
	if (p->conf->type == LB_MONITOR_DNS) {
		p->dns_id = (uint16_t)arc4random();
		p->reqlen = lb_dns_query(p->conf->query, p->dns_id,
		    (unsigned char *)p->req);
	}
	if (send(p->fd, p->req, p->reqlen, 0) < 0) {
		probe_fail(p, LB_CHECK_CONNECT, "send", errno);
		return;
	}
	p->state = PROBE_READING;
	probe_wait(p, EV_READ);
}

static void
probe_start(struct lb_probe *p)
{
	struct ev_loop *loop = p->mons->loop;
	bool dgram = lb_monitor_datagram(p->conf->type);

	p->started = ev_now(loop);
	p->len = p->sent = 0;
	p->fd = socket(p->addr.ss_family, (dgram ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		probe_fail(p, LB_CHECK_CONNECT, "socket", errno);
		return;
	}
	p->tr = (struct lb_transport){ .ops = &lb_transport_plain,
	    .fd = p->fd };
	if (lb_bind_source(p->fd, p->pool->conf) < 0) {
		probe_fail(p, LB_CHECK_CONNECT, "bind to source-address",
		    errno);
		return;
	}
	if (p->tls != NULL && lb_tls_connect(&p->tr, p->tls, p->fd, p->sni,
	    p->ip) < 0) {
		p->tr = (struct lb_transport){ .ops = &lb_transport_plain,
		    .fd = p->fd };
		probe_fail(p, LB_CHECK_CONNECT, "TLS", ENOMEM);
		return;
	}
	if (connect(p->fd, (struct sockaddr *)&p->addr, p->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		probe_fail(p, LB_CHECK_CONNECT, "connect", errno);
		return;
	}
	probe_resumed(p);
	/* the timer now stands for the probe's timeout */
	ev_timer_set(&p->timer, (ev_tstamp)p->conf->timeout / 1000.0, 0);
	ev_timer_start(loop, &p->timer);
	if (dgram) {
		probe_datagram(p);
		return;
	}
	p->state = PROBE_CONNECTING;
	ev_io_set(&p->io, p->fd, EV_WRITE);
	ev_io_start(loop, &p->io);
}

static void
probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lb_probe *p = w->data;
	struct verdict v = { .ok = false, .result = LB_CHECK_TIMEOUT };

	(void)loop;
	(void)revents;
	if (p->state == PROBE_IDLE) {
		probe_start(p);
		return;
	}
	snprintf(v.why, sizeof(v.why), "no answer within %llu ms",
	    (unsigned long long)p->conf->timeout);
	probe_finish(p, &v);
}

/* Waits for events (and for what TLS waits for). */
static void
probe_wait(struct lb_probe *p, int events)
{
	ev_io_stop(p->mons->loop, &p->io);
	ev_io_set(&p->io, p->fd, events | (int)p->tr.want);
	ev_io_start(p->mons->loop, &p->io);
}

/* Connected (and, for https, the handshake done): send or read. */
static void
probe_up(struct lb_probe *p)
{
	if (p->reqlen == 0 && p->conf->receive[0] == '\0') {
		probe_judge(p);		/* a plain TCP check: connected */
		return;
	}
	p->state = p->reqlen > 0 ? PROBE_SENDING : PROBE_READING;
	probe_wait(p, p->reqlen > 0 ? EV_WRITE : EV_READ);
}

static void
probe_handshake(struct lb_probe *p)
{
	struct verdict v = { .ok = false, .result = LB_CHECK_TLS };
	char why[160];
	int r = lb_tls_handshake(&p->tr, why, sizeof(why));

	if (r == 0) {
		probe_wait(p, 0);
	} else if (r > 0) {
		probe_up(p);
	} else {
		snprintf(v.why, sizeof(v.why), "TLS handshake: %s", why);
		probe_finish(p, &v);
	}
}

/* A member that reads a PROXY protocol header first (send-proxy) gets
 * one from its probes too, before a TLS handshake: the probe's own
 * addresses. */
static int
send_proxy(struct lb_probe *p)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);

	if (getsockname(p->fd, (struct sockaddr *)&local, &len) < 0)
		local.ss_family = AF_UNSPEC;
	return lb_proxy_send(p->fd, (int)p->send_proxy,
	    (struct sockaddr *)&local, (struct sockaddr *)&p->addr, NULL);
}

static void
probe_connected(struct lb_probe *p)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		probe_fail(p, LB_CHECK_CONNECT, "connect", err);
		return;
	}
	if (p->send_proxy > 0 && send_proxy(p) < 0) {
		probe_fail(p, LB_CHECK_CONNECT, "PROXY header", errno);
		return;
	}
	if (p->tls == NULL) {
		probe_up(p);
		return;
	}
	p->state = PROBE_HANDSHAKE;
	probe_handshake(p);
}

static void
probe_send(struct lb_probe *p)
{
	ssize_t n = p->tr.ops->write(&p->tr, p->req + p->sent,
	    p->reqlen - p->sent);

	if (n < 0) {
		if (errno != EAGAIN)
			probe_fail(p, LB_CHECK_CONNECT, "send", errno);
		else
			probe_wait(p, EV_WRITE);
		return;
	}
	p->sent += (size_t)n;
	if (p->sent < p->reqlen)
		return;
	p->state = PROBE_READING;
	probe_wait(p, EV_READ);
}

/* Whether what was read settles the verdict. */
static bool
probe_read_enough(const struct lb_probe *p, ssize_t n)
{
	/* HTTP: judged at the server's close (we ask for it), when the
	 * buffer is full, or once the head is in when only the status
	 * counts (a server that keeps the connection open must not time
	 * out); tcp: as soon as what it expects is there */
	return n == 0 || p->len == PROBE_BUF - 1 ||
	    (p->conf->type != LB_MONITOR_TCP && p->conf->body[0] == '\0' &&
	    strstr(p->buf, "\r\n\r\n") != NULL) ||
	    (p->conf->type == LB_MONITOR_TCP &&
	    strstr(p->buf, p->conf->receive) != NULL);
}

/* udp, dns: one datagram is the reply; an ICMP port unreachable for
 * the one sent comes as ECONNREFUSED. */
static void
probe_read_datagram(struct lb_probe *p)
{
	ssize_t n = recv(p->fd, p->buf, PROBE_BUF - 1, 0);

	if (n < 0 && errno == EAGAIN) {
		probe_wait(p, EV_READ);
		return;
	}
	if (n < 0) {
		probe_fail(p, LB_CHECK_CONNECT, errno == ECONNREFUSED ?
		    "port unreachable" : "read", errno);
		return;
	}
	p->len = (size_t)n;
	probe_judge(p);
}

static void
probe_read(struct lb_probe *p)
{
	ssize_t n;

	if (lb_monitor_datagram(p->conf->type)) {
		probe_read_datagram(p);
		return;
	}
	/* TLS may hold more than the socket says: read while it gives */
	do {
		n = p->tr.ops->read(&p->tr, p->buf + p->len,
		    PROBE_BUF - 1 - p->len);
		if (n < 0) {
			if (errno != EAGAIN)
				probe_fail(p, LB_CHECK_CONNECT, "read", errno);
			else
				probe_wait(p, EV_READ);
			return;
		}
		p->len += (size_t)n;
		p->buf[p->len] = '\0';
	} while (!probe_read_enough(p, n));
	probe_judge(p);
}

static void
probe_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_probe *p = w->data;

	(void)loop;
	(void)revents;
	if (p->state == PROBE_CONNECTING)
		probe_connected(p);
	else if (p->state == PROBE_HANDSHAKE)
		probe_handshake(p);
	else if (p->state == PROBE_SENDING)
		probe_send(p);
	else if (p->state == PROBE_READING)
		probe_read(p);
}

/* ---- set-up ---- */

static void
build_request(struct lb_probe *p)
{
	const struct lb_monitor_conf *c = p->conf;
	char host[256];
	int n;

	if (c->type == LB_MONITOR_TCP || c->type == LB_MONITOR_UDP) {
		p->reqlen = strlen(c->send);
		memcpy(p->req, c->send, p->reqlen);
		return;
	}
	if (c->type == LB_MONITOR_DNS)
		return;			/* a new query each probe */
	if (c->host[0] != '\0')
		snprintf(host, sizeof(host), "%s", c->host);
	else
		conf_fmt_sockaddr(host, sizeof(host), &p->addr);
	n = snprintf(p->req, sizeof(p->req), "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: edged-monitor\r\nConnection: close\r\n\r\n",
	    c->method, c->url, host);
	p->reqlen = n > 0 && (size_t)n < sizeof(p->req) ? (size_t)n : 0;
}

/* https: the pool's TLS settings (its CA, its SNI, or the member's
 * address as the name to verify); a pool that does not re-encrypt gets
 * TLS without verification, and the monitor's host as SNI. */
static void
probe_tls(struct lb_probe *p)
{
	const struct lb_tls_client_conf *t = &p->pool->conf->tls;
	struct lb_tls *tls = p->mons->rt->tls;

	p->tls = tls == NULL ? NULL : t->enabled ?
	    lb_tls_client_ctx(tls, p->pool->index) : lb_tls_probe_ctx(tls);
	p->sni = t->enabled ? (t->sni[0] ? t->sni : NULL) :
	    (p->conf->host[0] ? p->conf->host : NULL);
	addr_fmt(p->ip, sizeof(p->ip),
	    (const struct sockaddr *)&p->member->addr);
}

static int
probe_init(struct lb_monitors *mons, struct lb_probe *p,
    const struct lb_rt_pool *pool, struct lb_member *m,
    const struct lb_monitor_conf *c, unsigned port)
{
	int err;
	PCRE2_SIZE off;

	p->mons = mons;
	p->member = m;
	p->pool = pool;
	p->conf = c;
	p->fd = -1;
	memcpy(&p->addr, &m->addr, sizeof(p->addr));
	p->addrlen = m->addrlen;
	/* the member's own port reads a PROXY header first; a monitor-port
	 * is another listener, which may not, unless check-send-proxy */
	p->send_proxy = lb_monitor_datagram(c->type) || (port > 0 &&
	    !m->check_send_proxy && (int)port !=
	    addr_port((const struct sockaddr *)&m->addr)) ? 0 : m->send_proxy;
	if (port > 0 && p->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&p->addr)->sin_port = htons(port);
	else if (port > 0)
		((struct sockaddr_in6 *)&p->addr)->sin6_port = htons(port);
	if (c->body_regex && (p->re = pcre2_compile((PCRE2_SPTR)c->body,
	    PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL)) == NULL)
		return -1;		/* checked when parsed: cannot happen */
	lb_health_init(&p->health);
	if (m->health_carried) {
		/* the previous worker's verdict stands until checks change
		 * it: a member that was down needs `rise` good checks */
		p->health.up = atomic_load(&m->up);
		p->health.probed = true;
	}
	build_request(p);
	if (c->type == LB_MONITOR_HTTPS)
		probe_tls(p);
	ev_init(&p->timer, probe_timer_cb);
	p->timer.data = p;
	ev_init(&p->io, probe_io_cb);
	p->io.data = p;
	return 0;
}

static size_t
count_probes(const struct lb_runtime *rt)
{
	size_t n = 0;

	for (size_t i = 0; i < rt->npools; i++)
		if (rt->pools[i].conf->monitor[0] != '\0')
			n += rt->pools[i].nmembers;
	return n;
}

static int
build_probes(struct lb_runtime *rt, struct lb_monitors *mons)
{
	size_t k = 0;

	for (size_t i = 0; i < rt->npools; i++) {
		const struct lb_rt_pool *pool = &rt->pools[i];
		const struct lb_monitor_conf *c;

		if (pool->conf->monitor[0] == '\0')
			continue;
		c = &rt->conf->monitors[pool->conf->monitor_idx];
		for (size_t j = 0; j < pool->nmembers; j++, k++)
			if (probe_init(mons, &mons->probes[k], pool,
			    &pool->members[j], c,
			    pool->conf->members[j].monitor_port) < 0)
				return -1;
	}
	return 0;
}

static void
stop_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void *
monitor_main(void *arg)
{
	struct lb_monitors *mons = arg;

	ev_run(mons->loop, 0);
	return NULL;
}

static void
monitors_free(struct lb_monitors *mons)
{
	for (size_t i = 0; i < mons->n; i++) {
		struct lb_probe *p = &mons->probes[i];

		if (p->fd >= 0)
			p->tr.ops->close(&p->tr);
		pcre2_code_free(p->re);
	}
	if (mons->loop != NULL)
		ev_loop_destroy(mons->loop);
	free(mons->probes);
	free(mons);
}

int
lb_monitors_start(struct lb_runtime *rt)
{
	struct lb_monitors *mons;
	size_t n = count_probes(rt);
	sigset_t all, old;

	if (n == 0)
		return 0;
	if ((mons = calloc(1, sizeof(*mons))) == NULL)
		return -1;
	mons->rt = rt;
	if ((mons->probes = calloc(n, sizeof(*mons->probes))) == NULL ||
	    (mons->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV)) ==
	    NULL || build_probes(rt, mons) < 0) {
		monitors_free(mons);
		return -1;
	}
	mons->n = n;
	ev_async_init(&mons->stop, stop_cb);
	ev_async_start(mons->loop, &mons->stop);
	/* first probes right away, spread over 100 ms */
	for (size_t i = 0; i < n; i++) {
		ev_timer_set(&mons->probes[i].timer, 0.1 * (double)i /
		    (double)n, 0);
		ev_timer_start(mons->loop, &mons->probes[i].timer);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	mons->running = pthread_create(&mons->thread, NULL, monitor_main,
	    mons) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	rt->monitors = mons;
	return mons->running ? 0 : -1;
}

void
lb_monitors_stop(struct lb_runtime *rt)
{
	struct lb_monitors *mons = rt->monitors;

	if (mons == NULL)
		return;
	if (mons->running) {
		ev_async_send(mons->loop, &mons->stop);
		pthread_join(mons->thread, NULL);
	}
	monitors_free(mons);
	rt->monitors = NULL;
}
