/*
 * lb/splice.c - pipes and splice(2) for tunnels (splice.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "splice.h"

int
lb_pipe_get(struct lb_pipe_pool *pool, struct lb_pipe *p)
{
	int fds[2], sz;

	if (pool->n > 0) {
		*p = pool->kept[--pool->n];
		return 0;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	sz = fcntl(fds[0], F_GETPIPE_SZ);
	*p = (struct lb_pipe){ .rd = fds[0], .wr = fds[1],
	    .cap = sz > 0 ? (uint32_t)sz : 4096 };
	return 0;
}

void
lb_pipe_put(struct lb_pipe_pool *pool, struct lb_pipe *p)
{
	if (p->rd < 0)
		return;
	if (p->len == 0 && pool->n < LB_PIPES_KEPT) {
		pool->kept[pool->n++] = *p;
	} else {
		close(p->rd);
		close(p->wr);
	}
	*p = LB_PIPE_NONE;
}

void
lb_pipe_pool_free(struct lb_pipe_pool *pool)
{
	while (pool->n > 0) {
		struct lb_pipe *p = &pool->kept[--pool->n];

		close(p->rd);
		close(p->wr);
	}
}

ssize_t
lb_splice_in(int fd, struct lb_pipe *p)
{
	ssize_t n = splice(fd, NULL, p->wr, NULL, p->cap - p->len,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n > 0)
		p->len += (uint32_t)n;
	return n;
}

ssize_t
lb_splice_out(struct lb_pipe *p, int fd)
{
	ssize_t n = splice(p->rd, NULL, fd, NULL, p->len,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n > 0)
		p->len -= (uint32_t)n;
	return n;
}
