/*
 * lb/transport.h - how the data path reads and writes a connection.
 *
 * Every byte the proxy moves goes through these ops, so that TLS
 * (transport_tls.h) and splice slot in behind the same interface.
 */
#ifndef EDGED_LB_TRANSPORT_H
#define EDGED_LB_TRANSPORT_H

#include <stdbool.h>
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
	/* Bytes already read from the socket wait in the transport, which a
	 * read would return without the socket becoming readable (NULL: a
	 * transport that never holds any). */
	bool (*pending)(struct lb_transport *tr);
};

/* tr->want: what an op that returned EAGAIN waits for (the values of
 * libev's EV_READ and EV_WRITE) */
#define LB_TR_WANT_READ		0x01
#define LB_TR_WANT_WRITE	0x02

struct lb_transport {
	const struct lb_transport_ops *ops;
	int fd;
	void *ctx;			/* the transport's own state */
	unsigned want;			/* LB_TR_WANT_*, after EAGAIN; a
					 * plain socket waits for what the
					 * op does, and leaves it 0 */
	/* TLS server side: the first bytes the peer sent (a record
	 * header's worth), kept during the handshake to tell plain HTTP
	 * from TLS (lb_tls_plain_http) */
	unsigned char first[5];
	unsigned char nfirst;
};

extern const struct lb_transport_ops lb_transport_plain;

#endif /* EDGED_LB_TRANSPORT_H */
