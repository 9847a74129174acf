/*
 * lb/transport.h - how the data path reads and writes a connection.
 *
 * Every byte the proxy moves goes through these ops, so that TLS and
 * splice slot in behind the same interface later.  Plain sockets now.
 */
#ifndef EDGED_LB_TRANSPORT_H
#define EDGED_LB_TRANSPORT_H

#include <sys/types.h>

struct lb_transport;

struct lb_transport_ops {
	const char *name;
	/* As read(2)/write(2): bytes moved, 0 at EOF (read), or -1 with
	 * errno set (EAGAIN when the socket is not ready). */
	ssize_t (*read)(struct lb_transport *tr, void *buf, size_t len);
	ssize_t (*write)(struct lb_transport *tr, const void *buf, size_t len);
	/* No more bytes will be written (FIN). */
	void (*shutdown_write)(struct lb_transport *tr);
	/* Closes the fd and frees what the transport holds; fd becomes -1. */
	void (*close)(struct lb_transport *tr);
};

struct lb_transport {
	const struct lb_transport_ops *ops;
	int fd;
	void *ctx;			/* the transport's own state */
};

extern const struct lb_transport_ops lb_transport_plain;

#endif /* EDGED_LB_TRANSPORT_H */
