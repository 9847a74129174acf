/*
 * vpn/vpn_client.c - a blocking VICI session (vpn_client.h): messages
 * written whole, answers read frame by frame against a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "vpn_client.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
vpn_client_open(struct vpn_client *c, const char *path, double timeout,
    char *err, size_t errsize)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->timeout = timeout;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsize, "%s: too long a socket path", path);
		c->fd = -1;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) < 0) {
		snprintf(err, errsize, "cannot connect to charon at %s: %s",
		    path, strerror(errno));
		vpn_client_close(c);
		return -1;
	}
	return 0;
}

void
vpn_client_close(struct vpn_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	c->inlen = c->incap = 0;
}

/* Waits for events on the socket until the deadline: 0, or -1. */
static int
wait_for(struct vpn_client *c, short events, double deadline)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	double left;
	int rc;

	do {
		if ((left = deadline - now()) <= 0)
			return -1;
		rc = poll(&p, 1, (int)(left * 1000) + 1);
	} while (rc < 0 && errno == EINTR);
	return rc > 0 ? 0 : -1;
}

static int
send_all(struct vpn_client *c, const uint8_t *msg, size_t len,
    double deadline, char *err, size_t errsize)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, msg + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errsize, "cannot write to charon: %s",
			    strerror(errno));
			return -1;
		}
		if (wait_for(c, POLLOUT, deadline) < 0) {
			snprintf(err, errsize, "charon takes nothing within "
			    "%.0f s", c->timeout);
			return -1;
		}
	}
	return 0;
}

/* The next whole message off the socket into *m. */
static int
next_message(struct vpn_client *c, double deadline, struct vpn_vici_msg *m,
    char *err, size_t errsize)
{
	const uint8_t *packet;
	const char *why = NULL;
	size_t plen;
	long took;
	ssize_t n;

	while ((took = vpn_vici_frame(c->in, c->inlen, &packet, &plen,
	    &why)) == 0) {
		if (mem_grow(&c->in, &c->incap, c->inlen + 65536, 1) == -1) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			snprintf(err, errsize, "charon closed the connection");
			return -1;
		}
		if (wait_for(c, POLLIN, deadline) < 0) {
			snprintf(err, errsize, "no answer from charon within "
			    "%.0f s", c->timeout);
			return -1;
		}
	}
	if (took < 0 || vpn_vici_parse(packet, plen, m, &why) < 0) {
		snprintf(err, errsize, "charon sent what is not VICI: %s",
		    why);
		return -1;
	}
	memmove(c->in, c->in + took, c->inlen - (size_t)took);
	c->inlen -= (size_t)took;
	return 0;
}

int
vpn_client_call(struct vpn_client *c, const uint8_t *msg, size_t len,
    void (*on_event)(void *arg, const struct vpn_vici_msg *ev), void *arg,
    struct vpn_vici_msg *answer, char *err, size_t errsize)
{
	double deadline = now() + c->timeout;

	if (c->fd < 0) {
		snprintf(err, errsize, "not connected to charon");
		return -1;
	}
	if (send_all(c, msg, len, deadline, err, errsize) < 0)
		goto lost;
	for (;;) {
		if (next_message(c, deadline, answer, err, errsize) < 0)
			goto lost;
		if (answer->type != VPN_VICI_EVENT)
			return 0;
		if (on_event != NULL)
			on_event(arg, answer);
		vpn_vici_msg_free(answer);
	}
lost:
	vpn_client_close(c);
	return -1;
}

int
vpn_client_command(struct vpn_client *c, const uint8_t *msg, size_t len,
    char *err, size_t errsize)
{
	struct vpn_vici_msg m;
	const char *ok, *why;
	int rc;

	if (vpn_client_call(c, msg, len, NULL, NULL, &m, err, errsize) < 0)
		return -1;
	if (m.type != VPN_VICI_CMD_RESPONSE) {
		snprintf(err, errsize, "charon answers %s: it does not know "
		    "the command", vpn_vici_type_name(m.type));
		vpn_vici_msg_free(&m);
		return -1;
	}
	ok = vpn_vici_value(&m.root, "success");
	why = vpn_vici_value(&m.root, "errmsg");
	rc = ok != NULL && strcmp(ok, "yes") == 0 ? 0 : 1;
	if (rc == 1)
		snprintf(err, errsize, "%s", why != NULL ? why :
		    "charon says no, and not why");
	vpn_vici_msg_free(&m);
	return rc;
}
