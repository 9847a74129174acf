/*
 * src/listeners.c - see listeners.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listeners.h"
#include "modules.h"

#define BACKLOG	4096

static int
set_opt(int fd, int level, int name)
{
	int one = 1;

	return setsockopt(fd, level, name, &one, sizeof(one));
}

/* A new listening socket of type (SOCK_STREAM, or SOCK_DGRAM: bound,
 * nothing to listen on); -1 with errno on failure. */
static int
bind_one(const struct sockaddr_storage *ss, socklen_t len, int type)
{
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	int err;

	if (fd < 0)
		return -1;
	/* FREEBIND: a VIP may be bound before the address is on a link,
	 * as an appliance whose addresses come and go must. */
	if (set_opt(fd, SOL_SOCKET, SO_REUSEADDR) < 0 ||
	    set_opt(fd, SOL_SOCKET, SO_REUSEPORT) < 0 ||
	    (ss->ss_family == AF_INET6 &&
	    set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY) < 0) ||
	    set_opt(fd, ss->ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    ss->ss_family == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND) < 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, BACKLOG) < 0)) {
		err = errno;
		(void)close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A duplicate of old's socket for the same address and thread, so that
 * both generations own their descriptors; -1 when there is none. */
static int
dup_old(const struct listen_set *old, const struct sockaddr_storage *ss,
    socklen_t len, int type, unsigned thread)
{
	size_t n = old ? old->nlisteners * old->nthreads : 0;

	for (size_t i = 0; i < n; i++) {
		const struct listen_sock *ls = &old->v[i];

		if (ls->fd >= 0 && ls->thread == thread &&
		    ls->socktype == type && ls->addrlen == len &&
		    memcmp(&ls->addr, ss, len) == 0)
			return fcntl(ls->fd, F_DUPFD_CLOEXEC, 3);
	}
	return -1;
}

/* The stats socket: one, served by the worker's main thread, where the
 * first module that has one says. */
static int
build_stats(struct listen_set *set, const struct edged_conf *c,
    const struct listen_set *old, struct conf_diag *d)
{
	struct listen_sock *st = &set->stats;
	struct edged_listen l;
	char a[128];
	size_t i;

	for (i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->metrics_listen != NULL &&
		    edged_modules[i]->metrics_listen(c->parts[i], &l))
			break;
	if (i == EDGED_NMODULES)
		return 0;
	memcpy(&st->addr, &l.addr, sizeof(st->addr));
	st->addrlen = l.addrlen;
	st->socktype = SOCK_STREAM;
	if (old != NULL && old->stats.fd >= 0 &&
	    old->stats.addrlen == st->addrlen &&
	    memcmp(&old->stats.addr, &st->addr, st->addrlen) == 0)
		st->fd = fcntl(old->stats.fd, F_DUPFD_CLOEXEC, 3);
	else
		st->fd = bind_one(&st->addr, st->addrlen, SOCK_STREAM);
	if (st->fd >= 0)
		return 0;
	conf_fmt_sockaddr(a, sizeof(a), &st->addr);
	conf_error(d, l.pos, "cannot listen on %s for stats: %s", a,
	    strerror(errno));
	return -1;
}

int
edged_conf_listens(const struct edged_conf *c, struct edged_listens *ls,
    size_t *counts)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		size_t before = ls->n;

		if (edged_modules[i]->listens != NULL &&
		    edged_modules[i]->listens(c->parts[i], ls) < 0)
			return -1;
		if (counts != NULL)
			counts[i] = ls->n - before;
	}
	return 0;
}

/* One socket per listen and thread: a duplicate of old's where it has
 * the same, else a new one. */
static int
build_listens(struct listen_set *set, const struct edged_listens *ls,
    const struct listen_set *old, struct conf_diag *d)
{
	unsigned nthreads = set->nthreads;

	for (size_t i = 0; i < ls->n * nthreads; i++) {
		const struct edged_listen *l = &ls->v[i / nthreads];
		struct listen_sock *s = &set->v[i];

		memcpy(&s->addr, &l->addr, sizeof(s->addr));
		s->addrlen = l->addrlen;
		s->socktype = l->socktype;
		s->thread = (unsigned)(i % nthreads);
		s->fd = dup_old(old, &l->addr, l->addrlen, l->socktype,
		    s->thread);
		if (s->fd < 0 && (s->fd = bind_one(&l->addr, l->addrlen,
		    l->socktype)) < 0) {
			char a[128];

			conf_fmt_sockaddr(a, sizeof(a), &l->addr);
			conf_error(d, l->pos, "cannot listen on %s: %s", a,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
listen_set_build(struct listen_set *set, const struct edged_conf *c,
    unsigned nthreads, const struct listen_set *old, struct conf_diag *d)
{
	struct edged_listens ls = { 0 };
	int rc = -1;

	memset(set, 0, sizeof(*set));
	set->nthreads = nthreads;
	set->stats.fd = -1;
	if (edged_conf_listens(c, &ls, NULL) < 0 ||
	    (set->v = calloc(ls.n * nthreads + 1, sizeof(*set->v))) == NULL) {
		conf_oom(d, NULL);
		goto release;
	}
	for (size_t i = 0; i < ls.n * nthreads; i++)
		set->v[i].fd = -1;
	set->nlisteners = ls.n;
	if (build_stats(set, c, old, d) == 0 &&
	    build_listens(set, &ls, old, d) == 0)
		rc = 0;
release:
	edged_listens_release(&ls);
	if (rc < 0)
		listen_set_release(set);
	return rc;
}

void
listen_set_release(struct listen_set *set)
{
	for (size_t i = 0; i < set->nlisteners * set->nthreads; i++)
		if (set->v[i].fd >= 0)
			(void)close(set->v[i].fd);
	if (set->stats.fd >= 0)
		(void)close(set->stats.fd);
	free(set->v);
	memset(set, 0, sizeof(*set));
	set->stats.fd = -1;
}
