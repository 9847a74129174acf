/*
 * lb/listener.c - accepting client connections on one thread's sockets.
 *
 * Each thread has its own SO_REUSEPORT socket per listen address, so the
 * kernel spreads connections and no accept is contended.  At a
 * connection limit, or when the process runs out of descriptors, a
 * listener pauses (connections wait in the kernel's queue) and resumes
 * when a session ends or, at the latest, on the next resume tick.  A
 * virtual server's own limit may refuse instead (max-connections N
 * refuse: a 503, then the close), and its rate-limit pauses it too when
 * its bucket is empty.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "udp.h"

#define ACCEPT_BURST	64
#define RESUME_TICK	0.1
#define DRAIN_ACCEPT_MAX	4096	/* the listen backlog */

static bool
at_limit(const struct lb_listener *l)
{
	const struct lb_runtime *rt = l->thread->rt;

	return atomic_load_explicit(&rt->conns, memory_order_relaxed) >=
	    rt->max_connections;
}

static bool
at_vs_limit(const struct lb_listener *l)
{
	uint64_t vsmax = l->vs->conf->max_connections;

	return vsmax > 0 && atomic_load_explicit(&l->vs->conns,
	    memory_order_relaxed) >= vsmax;
}

/*
 * rate-limit N/s, as a generic cell rate algorithm shared by every
 * thread: each connection takes 1/N s of a bucket that holds one
 * second's worth.  rate_room says whether one may come now (before the
 * accept, which may find none); rate_take takes its share once one came
 * (threads racing may overshoot by one each).
 */
static bool
rate_room(const struct lb_rt_vs *vs)
{
	uint64_t now = clock_coarse_ms() * 1000, tat;

	if (vs->conf->rate_limit == 0)
		return true;
	tat = atomic_load_explicit(&vs->rate_tat, memory_order_relaxed);
	return (tat > now ? tat - now : 0) + 1000000 / vs->conf->rate_limit <=
	    1000000;
}

static void
rate_take(struct lb_rt_vs *vs)
{
	uint64_t now = clock_coarse_ms() * 1000, tat, next;

	if (vs->conf->rate_limit == 0)
		return;
	tat = atomic_load_explicit(&vs->rate_tat, memory_order_relaxed);
	do
		next = (tat > now ? tat : now) + 1000000 /
		    vs->conf->rate_limit;
	while (!atomic_compare_exchange_weak_explicit(&vs->rate_tat, &tat,
	    next, memory_order_relaxed, memory_order_relaxed));
}

/* Whether l must leave new connections in the kernel's queue: a limit
 * reached (the virtual server's, unless it refuses), its rate's bucket
 * empty. */
static bool
held(const struct lb_listener *l)
{
	return at_limit(l) || (at_vs_limit(l) && !l->vs->conf->refuse) ||
	    !rate_room(l->vs);
}

/* max-connections N refuse: the connection accepted over the limit gets
 * a 503 (HTTP; the others only the close), counted as a request of the
 * virtual server answered 5xx. */
static void
refuse(struct lb_listener *l, int fd)
{
	struct lb_ctr *c = &l->thread->ctr_vs[l->vs->index];
	size_t len;
	const char *text = lb_http_error_reply(503, &len);

	if (l->vs->profile->type == LB_PROFILE_HTTP)
		(void)write(fd, text, len);	/* fits an empty socket */
	(void)close(fd);
	CTR_ADD(c->total, 1);
	CTR_ADD(c->requests, 1);
	CTR_ADD(c->resp[5], 1);
}

static void
pause_listener(struct lb_listener *l)
{
	struct lb_thread *t = l->thread;

	ev_io_stop(t->loop, &l->io);
	l->paused = true;
	if (!ev_is_active(&t->resume))
		ev_timer_again(t->loop, &t->resume);
}

static void
out_of_fds(struct lb_listener *l, int err)
{
	static _Atomic long last;

	if (lb_warn_due(&last, ev_now(l->thread->loop)))
		log_warn("virtual-server %s: accept: %s; pausing",
		    l->vs->conf->name, strerror(err));
	pause_listener(l);
}

static void
admit(struct lb_listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t len)
{
	struct lb_runtime *rt = l->thread->rt;
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	atomic_fetch_add_explicit(&rt->conns, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->vs->conns, 1, memory_order_relaxed);
	if (lb_session_accept(l, fd, ss, len) == 0)
		return;
	atomic_fetch_sub_explicit(&rt->conns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&l->vs->conns, 1, memory_order_relaxed);
	(void)close(fd);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_listener *l = w->data;

	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd;

		if (held(l)) {
			pause_listener(l);
			return;
		}
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			rate_take(l->vs);
		if (fd >= 0 && at_vs_limit(l)) {
			refuse(l, fd);
			continue;
		}
		if (fd >= 0) {
			admit(l, fd, &ss, len);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			out_of_fds(l, errno);
		else if (errno != EAGAIN)
			log_err("virtual-server %s: accept: %s",
			    l->vs->conf->name, strerror(errno));
		return;
	}
}

void
lb_listener_drain(struct lb_listener *l)
{
	/* datagrams: nothing queued to take; the socket stays, for the
	 * replies of the sessions still open, until the thread stops */
	if (l->udp) {
		ev_io_stop(l->thread->loop, &l->io);
		return;
	}
	/* The kernel completed these handshakes: closing the socket now
	 * would reset clients that were told they are connected. */
	for (int i = 0; l->fd >= 0 && i < DRAIN_ACCEPT_MAX && !at_limit(l);
	    i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0)
			admit(l, fd, &ss, len);
		else if (errno != EINTR && errno != ECONNABORTED)
			break;
	}
	lb_listener_stop(l);
}

static void
datagram_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	lb_udp_read(w->data);
}

void
lb_listener_start(struct lb_listener *l)
{
	ev_io_init(&l->io, l->udp ? datagram_cb : accept_cb, l->fd, EV_READ);
	if (l->udp)
		l->pktinfo = lb_udp_listener_setup(l->fd);
	l->io.data = l;
	ev_io_start(l->thread->loop, &l->io);
}

void
lb_listener_stop(struct lb_listener *l)
{
	ev_io_stop(l->thread->loop, &l->io);
	if (l->fd >= 0)
		(void)close(l->fd);
	l->fd = -1;
	l->paused = false;
}

void
lb_listeners_resume(struct lb_thread *t)
{
	bool still_paused = false;

	if (t->draining || !ev_is_active(&t->resume))
		return;
	for (size_t i = 0; i < t->nlisteners; i++) {
		struct lb_listener *l = &t->listeners[i];

		if (!l->paused)
			continue;
		if (held(l)) {
			still_paused = true;
			continue;
		}
		l->paused = false;
		ev_io_start(t->loop, &l->io);
	}
	if (!still_paused)
		ev_timer_stop(t->loop, &t->resume);
}

static void
resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lb_thread *t = w->data;

	(void)loop;
	(void)revents;
	lb_listeners_resume(t);
}

void
lb_listeners_init(struct lb_thread *t)
{
	ev_init(&t->resume, resume_cb);
	t->resume.repeat = RESUME_TICK;
	t->resume.data = t;
	for (size_t i = 0; i < t->nlisteners; i++)
		lb_listener_start(&t->listeners[i]);
}
