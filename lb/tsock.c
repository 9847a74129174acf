/*
 * lb/tsock.c - transparent sockets made by the master, kept in stock by
 * the worker (see tsock.h).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_module.h"
#include "log.h"
#include "mem.h"
#include "tsock.h"

#define LB_TSOCK_WINDOW	0.2		/* s: how often the sizes follow */
#define LB_TSOCK_AHEAD	0.8		/* s of connections a stock holds */

/* One kind's stock. */
struct stock {
	bool used;
	int *fds;
	size_t n, cap;
	size_t taken;			/* since window */
	size_t target;			/* what it is topped up to */
	size_t out;			/* asked for, not come yet */
	bool grew;			/* doubled in this window */
	double asked;			/* when */
};

struct lb_tsock {
	pthread_mutex_t mu;
	struct stock s[LB_TSOCK_KINDS];
	const struct edged_channel *master;
	double now;			/* the last tick's */
	double window;			/* when taken was last counted */
};

int
lb_tsock_kind(int family, int socktype)
{
	if ((family != AF_INET && family != AF_INET6) ||
	    (socktype != SOCK_STREAM && socktype != SOCK_DGRAM))
		return -1;
	return (family == AF_INET6) + 2 * (socktype == SOCK_DGRAM);
}

int
lb_tsock_kind_family(unsigned kind)
{
	return kind & 1 ? AF_INET6 : AF_INET;
}

int
lb_tsock_kind_type(unsigned kind)
{
	return kind & 2 ? SOCK_DGRAM : SOCK_STREAM;
}

static struct stock *
stock_of(struct lb_tsock *t, unsigned kind)
{
	return kind >= LB_TSOCK_KINDS || !t->s[kind].used ? NULL :
	    &t->s[kind];
}

struct lb_tsock *
lb_tsock_new(unsigned kinds)
{
	struct lb_tsock *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	for (unsigned i = 0; i < LB_TSOCK_KINDS; i++) {
		t->s[i].used = (kinds & (1u << i)) != 0;
		t->s[i].target = LB_TSOCK_MIN;
	}
	return t;
}

void
lb_tsock_free(struct lb_tsock *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < LB_TSOCK_KINDS; i++) {
		for (size_t k = 0; k < t->s[i].n; k++)
			(void)close(t->s[i].fds[k]);
		free(t->s[i].fds);
	}
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void
lb_tsock_channel(struct lb_tsock *t, const struct edged_channel *ch)
{
	if (t != NULL)
		t->master = ch;
}

/* How many of s to ask for now: the rest of its target once it is half
 * gone and no request is out (counted out from now).  Under t->mu. */
static size_t
due(struct lb_tsock *t, struct stock *s)
{
	size_t want;

	if (t->master == NULL || s->out > 0 || s->n > s->target / 2)
		return 0;
	want = s->target - s->n;
	s->out = want;
	s->asked = t->now;
	return want;
}

static void
ask(struct lb_tsock *t, unsigned kind, size_t n)
{
	if (n > 0 && t->master->send(t->master, LB_MSG_TSOCK_WANT,
	    kind << 24 | (uint32_t)n, NULL, 0, -1) < 0)
		log_warn("cannot ask the master for transparent sockets: %s",
		    strerror(errno));
}

int
lb_tsock_take(struct lb_tsock *t, int family, int socktype)
{
	int kind = lb_tsock_kind(family, socktype), fd = -1;
	struct stock *s = t != NULL && kind >= 0 ?
	    stock_of(t, (unsigned)kind) : NULL;
	size_t more;

	if (s == NULL) {
		errno = LB_ETSOCK;
		return -1;
	}
	pthread_mutex_lock(&t->mu);
	if (s->n > 0)
		fd = s->fds[--s->n];
	else if (!s->grew) {
		/* a burst outran the window: twice as much, once a window */
		s->target = s->target * 2 < LB_TSOCK_MAX ? s->target * 2 :
		    LB_TSOCK_MAX;
		s->grew = true;
	}
	s->taken++;
	more = due(t, s);
	pthread_mutex_unlock(&t->mu);
	ask(t, (unsigned)kind, more);
	if (fd < 0)
		errno = LB_ETSOCK;
	return fd;
}

void
lb_tsock_put(struct lb_tsock *t, unsigned kind, int fd)
{
	struct stock *s = t != NULL ? stock_of(t, kind) : NULL;
	bool kept = false;

	if (s != NULL) {
		pthread_mutex_lock(&t->mu);
		if (s->out > 0)
			s->out--;
		if (s->n < LB_TSOCK_MAX && mem_grow(&s->fds, &s->cap, s->n + 1,
		    sizeof(*s->fds)) == 0) {
			s->fds[s->n++] = fd;
			kept = true;
		}
		pthread_mutex_unlock(&t->mu);
	}
	if (!kept)
		(void)close(fd);
}

void
lb_tsock_tick(struct lb_tsock *t, double now)
{
	size_t more[LB_TSOCK_KINDS] = { 0 };

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->now = now;
	for (unsigned i = 0; i < LB_TSOCK_KINDS; i++) {
		struct stock *s = &t->s[i];
		double span = now - t->window;

		if (!s->used || span < LB_TSOCK_WINDOW)
			continue;
		/* LB_TSOCK_AHEAD seconds of what the last window took */
		s->target = (size_t)((double)s->taken * LB_TSOCK_AHEAD / span);
		if (s->target < LB_TSOCK_MIN)
			s->target = LB_TSOCK_MIN;
		if (s->target > LB_TSOCK_MAX)
			s->target = LB_TSOCK_MAX;
		s->taken = 0;
		s->grew = false;
		/* a request the master never answered is given up */
		if (s->out > 0 && now - s->asked > 2.0)
			s->out = 0;
		more[i] = due(t, s);
	}
	if (now - t->window >= LB_TSOCK_WINDOW)
		t->window = now;
	pthread_mutex_unlock(&t->mu);
	for (unsigned i = 0; i < LB_TSOCK_KINDS; i++)
		ask(t, i, more[i]);
}

/* A socket of kind the worker may bind to any address of its family. */
static int
make_one(unsigned kind)
{
	int family = lb_tsock_kind_family(kind), one = 1;
	int fd = socket(family, lb_tsock_kind_type(kind) | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT,
	    &one, sizeof(one)) : setsockopt(fd, IPPROTO_IPV6,
	    IPV6_TRANSPARENT, &one, sizeof(one))) < 0) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

unsigned
lb_tsock_make(unsigned kind, unsigned n, const struct edged_channel *ch,
    uint16_t type)
{
	unsigned sent = 0;

	while (sent < n) {
		int fd = make_one(kind), rc;

		if (fd < 0) {
			log_err("transparent pools: cannot make a transparent "
			    "socket: %s (the master needs CAP_NET_ADMIN)",
			    strerror(errno));
			break;
		}
		rc = ch->send(ch, type, kind, NULL, 0, fd);
		(void)close(fd);
		/* a worker that exited meanwhile wants nothing more */
		if (rc < 0 && errno != EPIPE && errno != ECONNRESET)
			log_err("transparent pools: cannot hand a socket to "
			    "the worker: %s", strerror(errno));
		if (rc < 0)
			break;
		sent++;
	}
	return sent;
}
