/*
 * lb/transport_plain.c - the plain TCP transport.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

static ssize_t
plain_read(struct lb_transport *tr, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(tr->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return n;
}

static ssize_t
plain_write(struct lb_transport *tr, const void *buf, size_t len)
{
	ssize_t n;

	/* MSG_NOSIGNAL: a peer that went away is an EPIPE, not a signal. */
	do {
		n = send(tr->fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n;
}

static void
plain_shutdown_write(struct lb_transport *tr)
{
	/* ENOTCONN when the peer already reset: nothing left to do. */
	(void)shutdown(tr->fd, SHUT_WR);
}

static void
plain_close(struct lb_transport *tr)
{
	if (tr->fd >= 0)
		(void)close(tr->fd);
	tr->fd = -1;
}

const struct lb_transport_ops lb_transport_plain = {
	.name = "plain",
	.read = plain_read,
	.write = plain_write,
	.shutdown_write = plain_shutdown_write,
	.close = plain_close,
};
