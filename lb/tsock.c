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

/* One family's stock. */
struct stock {
	bool used;
	int *fds;
	size_t n, cap;
	size_t taken;			/* since the last lb_tsock_want */
	size_t target;			/* what it is topped up to */
	size_t out;			/* asked for, not come yet */
	double asked;			/* when */
};

struct lb_tsock {
	pthread_mutex_t mu;
	struct stock s[2];		/* IPv4, IPv6 */
	const struct edged_channel *master;
	double now;			/* the last tick's */
};

unsigned
lb_tsock_bit(int family)
{
	return family == AF_INET ? 1 : family == AF_INET6 ? 2 : 0;
}

int
lb_tsock_family(unsigned bit)
{
	return bit == 1 ? AF_INET : bit == 2 ? AF_INET6 : AF_UNSPEC;
}

static struct stock *
stock_of(struct lb_tsock *t, int family)
{
	unsigned bit = lb_tsock_bit(family);

	return bit == 0 || !t->s[bit - 1].used ? NULL : &t->s[bit - 1];
}

struct lb_tsock *
lb_tsock_new(unsigned families)
{
	struct lb_tsock *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	for (unsigned i = 0; i < 2; i++) {
		t->s[i].used = (families & (1u << i)) != 0;
		t->s[i].target = LB_TSOCK_MIN;
	}
	return t;
}

void
lb_tsock_free(struct lb_tsock *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < 2; i++) {
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
ask(struct lb_tsock *t, unsigned bit, size_t n)
{
	if (n > 0 && t->master->send(t->master, LB_MSG_TSOCK_WANT,
	    bit << 24 | (uint32_t)n, NULL, 0, -1) < 0)
		log_warn("cannot ask the master for transparent sockets: %s",
		    strerror(errno));
}

int
lb_tsock_take(struct lb_tsock *t, int family)
{
	struct stock *s = t != NULL ? stock_of(t, family) : NULL;
	size_t more;
	int fd = -1;

	if (s == NULL) {
		errno = LB_ETSOCK;
		return -1;
	}
	pthread_mutex_lock(&t->mu);
	if (s->n > 0)
		fd = s->fds[--s->n];
	s->taken++;
	more = due(t, s);
	pthread_mutex_unlock(&t->mu);
	ask(t, lb_tsock_bit(family), more);
	if (fd < 0)
		errno = LB_ETSOCK;
	return fd;
}

void
lb_tsock_put(struct lb_tsock *t, int family, int fd)
{
	struct stock *s = t != NULL ? stock_of(t, family) : NULL;
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
	size_t more[2] = { 0, 0 };

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->now = now;
	for (unsigned i = 0; i < 2; i++) {
		struct stock *s = &t->s[i];

		if (!s->used)
			continue;
		/* four ticks' worth of what the last one took */
		s->target = s->taken * 4 > LB_TSOCK_MIN ? s->taken * 4 :
		    LB_TSOCK_MIN;
		if (s->target > LB_TSOCK_MAX)
			s->target = LB_TSOCK_MAX;
		s->taken = 0;
		/* a request the master never answered is given up */
		if (s->out > 0 && now - s->asked > 2.0)
			s->out = 0;
		more[i] = due(t, s);
	}
	pthread_mutex_unlock(&t->mu);
	ask(t, 1, more[0]);
	ask(t, 2, more[1]);
}

/* A socket the worker may bind to any address of family's. */
static int
make_one(int family)
{
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK |
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
lb_tsock_make(int family, unsigned n, const struct edged_channel *ch,
    uint16_t type)
{
	unsigned sent = 0;

	while (sent < n) {
		int fd = make_one(family), rc;

		if (fd < 0) {
			log_err("transparent pools: cannot make a transparent "
			    "socket: %s (the master needs CAP_NET_ADMIN)",
			    strerror(errno));
			break;
		}
		rc = ch->send(ch, type, lb_tsock_bit(family), NULL, 0, fd);
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
