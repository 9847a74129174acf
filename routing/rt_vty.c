/*
 * routing/rt_vty.c - questions to an FRR daemon's vty socket (rt_vty.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mem.h"
#include "rt_vty.h"

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents);

void
rt_vty_init(struct rt_vty *v, struct ev_loop *loop, const char *dir,
    const char *daemon)
{
	memset(v, 0, sizeof(*v));
	v->loop = loop;
	v->daemon = daemon;
	v->fd = -1;
	snprintf(v->path, sizeof(v->path), "%s/%s.vty", dir, daemon);
	ev_init(&v->io, io_cb);
	v->io.data = v;
	ev_init(&v->timer, timer_cb);
	v->timer.data = v;
}

long
rt_vty_frame(const char *buf, size_t len, int *status)
{
	const char *nul = memchr(buf, '\0', len);
	size_t at;

	if (nul == NULL)
		return -1;
	at = (size_t)(nul - buf);
	if (len - at < 4)
		return -1;
	if (buf[at + 1] != '\0' || buf[at + 2] != '\0')
		return -2;		/* a NUL inside an answer: not FRR's */
	*status = (unsigned char)buf[at + 3];
	return (long)at;
}

/* The first question's answer (or failure) to its asker; the next one
 * goes out. */
static void
answer_first(struct rt_vty *v, int status, const char *out, size_t len)
{
	struct rt_vty_q q = v->q[0];

	memmove(&v->q[0], &v->q[1], (v->nq - 1) * sizeof(v->q[0]));
	v->nq--;
	v->sent = 0;
	q.cb(q.arg, status, out, len);
	free(q.cmd);
}

void
rt_vty_close(struct rt_vty *v, const char *why)
{
	char msg[256];

	ev_io_stop(v->loop, &v->io);
	ev_timer_stop(v->loop, &v->timer);
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	v->inlen = 0;
	snprintf(msg, sizeof(msg), "%s: %s", v->daemon, why);
	while (v->nq > 0)
		answer_first(v, -1, msg, strlen(msg));
	free(v->in);
	v->in = NULL;
	v->incap = 0;
}

/* The watchers for what is asked: reading always (a daemon that goes
 * is seen at once), writing while the first question is not all sent,
 * the timer at its deadline. */
static void
arm(struct rt_vty *v)
{
	int events = EV_READ;

	ev_timer_stop(v->loop, &v->timer);
	ev_io_stop(v->loop, &v->io);
	if (v->fd < 0)
		return;
	if (v->nq > 0 && v->sent <= strlen(v->q[0].cmd))
		events |= EV_WRITE;
	ev_io_set(&v->io, v->fd, events);
	ev_io_start(v->loop, &v->io);
	if (v->nq == 0)
		return;
	ev_timer_set(&v->timer, v->q[0].deadline - ev_now(v->loop), 0.);
	ev_timer_start(v->loop, &v->timer);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rt_vty *v = t->data;
	char why[64];

	(void)loop;
	(void)revents;
	if (v->fd < 0) {
		rt_vty_close(v, v->why);
		return;
	}
	snprintf(why, sizeof(why), "no answer within %.0f s", RT_VTY_TIMEOUT);
	rt_vty_close(v, why);
}

static int
connect_now(struct rt_vty *v)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memcpy(sun.sun_path, v->path, sizeof(v->path));
	v->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (v->fd >= 0 && connect(v->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0)
		return 0;
	snprintf(v->why, sizeof(v->why), "cannot connect to %s: %s",
	    v->path, strerror(errno));
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	return -1;
}

void
rt_vty_ask(struct rt_vty *v, const char *cmd, rt_vty_answer cb, void *arg)
{
	struct rt_vty_q q = { strdup(cmd), cb, arg,
	    ev_now(v->loop) + RT_VTY_TIMEOUT };
	const char *why = "out of memory";

	if (q.cmd == NULL || v->nq == RT_VTY_QUEUE_MAX) {
		if (q.cmd != NULL)
			why = "too many questions waiting";
		free(q.cmd);
		cb(arg, -1, why, strlen(why));
		return;
	}
	v->q[v->nq++] = q;
	if (v->fd >= 0 || connect_now(v) == 0) {
		arm(v);
		return;
	}
	/* the questions are answered from the loop */
	ev_timer_stop(v->loop, &v->timer);
	ev_timer_set(&v->timer, 0., 0.);
	ev_timer_start(v->loop, &v->timer);
}

/* Writes what is left of the first question, its NUL included. */
static int
send_first(struct rt_vty *v)
{
	const char *cmd = v->q[0].cmd;
	size_t len = strlen(cmd) + 1;
	ssize_t n;

	while (v->sent < len) {
		n = send(v->fd, cmd + v->sent, len - v->sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		v->sent += (size_t)n;
	}
	return 0;
}

/* Reads what the daemon says; every whole answer to its asker. */
static int
read_answers(struct rt_vty *v)
{
	long at;
	int status;
	ssize_t n;

	if (mem_grow(&v->in, &v->incap, v->inlen + 65536, 1) == -1)
		return -1;
	n = recv(v->fd, v->in + v->inlen, v->incap - v->inlen, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n > 0)
		v->inlen += (size_t)n;
	while (v->nq > 0 && (at = rt_vty_frame(v->in, v->inlen,
	    &status)) >= 0) {
		v->in[at] = '\0';
		answer_first(v, status, v->in, (size_t)at);
		memmove(v->in, v->in + at + 4, v->inlen - (size_t)at - 4);
		v->inlen -= (size_t)at + 4;
	}
	if (v->inlen > RT_VTY_ANSWER_MAX || (v->inlen > 0 && (v->nq == 0 ||
	    rt_vty_frame(v->in, v->inlen, &status) == -2)))
		return -1;
	return 0;
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rt_vty *v = w->data;

	(void)loop;
	if ((revents & EV_WRITE) && v->nq > 0 && send_first(v) < 0) {
		rt_vty_close(v, "the connection was lost");
		return;
	}
	if ((revents & EV_READ) && read_answers(v) < 0) {
		rt_vty_close(v, v->inlen > RT_VTY_ANSWER_MAX ? "an answer "
		    "too large" : "the connection was lost, or it said what "
		    "no one asked");
		return;
	}
	if (v->fd >= 0)
		arm(v);
}
