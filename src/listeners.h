/*
 * src/listeners.h - the master's listening sockets: one per listen
 * address per worker thread, SO_REUSEPORT (TCP, or UDP for a module that
 * asks for datagrams).  A new generation shares
 * every socket whose address and thread it has in common with the old one, so
 * that nothing waiting in an accept queue is lost across a reload or a
 * worker restart.
 */
#ifndef EDGED_LISTENERS_H
#define EDGED_LISTENERS_H

#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct listen_sock {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int socktype;			/* SOCK_STREAM, SOCK_DGRAM */
	unsigned thread;
	int fd;
};

struct listen_set {
	struct listen_sock *v;		/* [listener * nthreads + thread] */
	size_t nlisteners;
	unsigned nthreads;
	struct listen_sock stats;	/* fd -1 when there is none */
};

/*
 * Every module's listens (module.h) into ls, in the table's order, with
 * how many each has in counts[EDGED_NMODULES] (may be NULL).  0, or -1
 * out of memory.
 */
int edged_conf_listens(const struct edged_conf *c, struct edged_listens *ls,
    size_t *counts);
/*
 * Fills set for c's listens (every module's, in order) and nthreads
 * threads, and the stats socket, with duplicates of old's sockets (old
 * may be NULL) where address and thread match, and new sockets for the
 * rest.  Returns 0, or -1 after adding an error to d (set is then empty;
 * old is never changed).
 */
int listen_set_build(struct listen_set *set, const struct edged_conf *c,
    unsigned nthreads, const struct listen_set *old, struct conf_diag *d);
/* Closes every socket of set and frees it. */
void listen_set_release(struct listen_set *set);

#endif /* EDGED_LISTENERS_H */
