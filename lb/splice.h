/*
 * lb/splice.h - bytes from one socket to another through a pipe, with
 * splice(2): they never come up to user space.  A tunnel (tcp,
 * ssl-passthrough) between two plain sockets uses one pipe per
 * direction, taken from its thread's pool and given back when the
 * session ends.  Private to lb/.
 */
#ifndef EDGED_LB_SPLICE_H
#define EDGED_LB_SPLICE_H

#include <stdint.h>
#include <sys/types.h>

/* Pipes a thread keeps for the next sessions. */
#define LB_PIPES_KEPT	64

struct lb_pipe {
	int rd, wr;			/* -1: none */
	uint32_t len;			/* bytes in it */
	uint32_t cap;			/* what it holds at most */
};

struct lb_pipe_pool {
	struct lb_pipe kept[LB_PIPES_KEPT];	/* empty ones */
	unsigned n;
};

#define LB_PIPE_NONE	((struct lb_pipe){ .rd = -1, .wr = -1 })

/* Gives p a pipe, from the pool or a new one: 0, or -1 with errno (out
 * of descriptors: the caller copies through its buffer instead). */
int lb_pipe_get(struct lb_pipe_pool *pool, struct lb_pipe *p);
/* p's pipe back to the pool when empty and the pool has room, else
 * closed; p then has none. */
void lb_pipe_put(struct lb_pipe_pool *pool, struct lb_pipe *p);
/* Closes every pipe the pool keeps. */
void lb_pipe_pool_free(struct lb_pipe_pool *pool);

/* What socket fd holds into p, as much as p has room for: the bytes
 * moved, 0 at the end of the stream, -1 with errno (EAGAIN: none now).
 * p must have room. */
ssize_t lb_splice_in(int fd, struct lb_pipe *p);
/* What p holds out to socket fd: the bytes moved, or -1 with errno. */
ssize_t lb_splice_out(struct lb_pipe *p, int fd);

#endif
