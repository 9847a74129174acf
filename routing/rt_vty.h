/*
 * routing/rt_vty.h - asking an FRR daemon a question on its vty socket,
 * as vtysh does, from the master's event loop: for the neighbours' state
 * (polled) and `edgectl show routes|bgp|ospf`.  Private to routing/.
 *
 * The socket (DIR/bgpd.vty, mode 0770 frr:frrvty) takes a command line
 * ended by a NUL, and answers its output (never a NUL in it) then three
 * NULs and the command's status (0: done).  One connection per daemon,
 * kept open; questions wait their turn; each is answered (or failed)
 * within RT_VTY_TIMEOUT of being asked.  FRR 8.4's protocol, which
 * vtysh itself speaks.
 */
#ifndef EDGED_RT_VTY_H
#define EDGED_RT_VTY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include <ev.h>

#define RT_VTY_TIMEOUT		10.0
#define RT_VTY_QUEUE_MAX	16
#define RT_VTY_ANSWER_MAX	(64 * 1024 * 1024)

/*
 * The answer to a question: status is FRR's (0: the command ran; 1 and
 * up: FRR refused it, out says why) or -1 when the daemon could not be
 * asked or did not answer in time (out says why).  out (len bytes, a NUL
 * after them) is the callee's only for the call, which must not close
 * the connection.
 */
typedef void (*rt_vty_answer)(void *arg, int status, const char *out,
    size_t len);

struct rt_vty_q {
	char *cmd;
	rt_vty_answer cb;
	void *arg;
	double deadline;
};

struct rt_vty {
	struct ev_loop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *daemon;		/* "bgpd" */
	int fd;
	ev_io io;
	ev_timer timer;
	struct rt_vty_q q[RT_VTY_QUEUE_MAX];	/* q[0]: asked */
	size_t nq;
	size_t sent;			/* bytes of q[0].cmd written */
	char *in;
	size_t inlen, incap;
	char why[160];			/* a failed connect's, until the
					 * loop answers the questions */
};

/* v for daemon's socket in dir (not connected yet). */
void rt_vty_init(struct rt_vty *v, struct ev_loop *loop, const char *dir,
    const char *daemon);
/* Asks cmd; cb is called once: later, or at once when the question
 * cannot even wait its turn (too many waiting, out of memory). */
void rt_vty_ask(struct rt_vty *v, const char *cmd, rt_vty_answer cb,
    void *arg);
/* Closes the connection; every question waiting is answered -1 now. */
void rt_vty_close(struct rt_vty *v, const char *why);

/* The end of an answer in buf (len bytes): the offset of its first NUL
 * when three NULs and the status follow it, with the status in *status;
 * -1 while it is not whole.  Exposed for the fuzz target. */
long rt_vty_frame(const char *buf, size_t len, int *status);

#endif /* EDGED_RT_VTY_H */
