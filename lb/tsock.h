/*
 * lb/tsock.h - transparent sockets: how a worker connects to a member
 * from the client's own address (a pool's `transparent on`) without any
 * privilege of its own.
 *
 * A socket may leave from an address the host does not have only with
 * IP_TRANSPARENT (IPV6_TRANSPARENT), and setting it takes CAP_NET_RAW or
 * CAP_NET_ADMIN; binding and connecting such a socket later takes
 * nothing.  The worker keeps neither capability: CAP_NET_RAW alone would
 * let a compromised worker read and forge any packet on the host.  So the
 * master, which has CAP_NET_ADMIN, makes the sockets (lb_tsock_make) and
 * hands them to the worker ahead of need: a stock per kind (family and
 * type: tcp and udp pools), filled before the worker starts, sized to
 * 0.8 s of what the connections took (lb_tsock_tick, over windows of
 * 0.2 s), and topped up as soon as it is half gone: the
 * event-loop thread that takes the socket which halves it asks the
 * master then (one message on the worker's channel, which any thread may
 * send on), so that no connection waits for the master.  An event-loop
 * thread takes one per member connection (lb_tsock_take), binds it to
 * the client's address and connects.  A stock found empty fails that
 * connection as the edge's own shortage (LB_ETSOCK), never the
 * member's.
 */
#ifndef EDGED_LB_TSOCK_H
#define EDGED_LB_TSOCK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "module.h"

/* The errno of a connection that found the stock empty. */
#define LB_ETSOCK	ENOSR

#define LB_TSOCK_MIN	256		/* the least a stock is topped up to */
#define LB_TSOCK_MAX	16384

/* A kind of socket, 0 to LB_TSOCK_KINDS - 1: IPv4 or IPv6, stream or
 * datagram; a set of kinds is a mask of 1 << kind. */
#define LB_TSOCK_KINDS	4

/* The kind of family and socktype, or -1 for any other. */
int lb_tsock_kind(int family, int socktype);
int lb_tsock_kind_family(unsigned kind);
int lb_tsock_kind_type(unsigned kind);

struct lb_tsock;

/* A stock for the kinds of mask kinds; NULL out of memory. */
struct lb_tsock *lb_tsock_new(unsigned kinds);
/* The way to the master, for the requests (LB_MSG_TSOCK_WANT); none
 * are sent before it is set. */
void lb_tsock_channel(struct lb_tsock *t, const struct edged_channel *ch);
/* Closes what is left. */
void lb_tsock_free(struct lb_tsock *t);
/* A socket of family's and socktype's stock, the caller's from now, or
 * -1 with errno LB_ETSOCK when it is empty.  Any thread. */
int lb_tsock_take(struct lb_tsock *t, int family, int socktype);
/* fd into kind's stock (a message from the master); closed when there
 * is no stock of that kind or it is full. */
void lb_tsock_put(struct lb_tsock *t, unsigned kind, int fd);
/* Each tick of the worker's main thread, now in seconds: every 0.2 s
 * the stocks' sizes follow what the connections took, and a request the
 * master left unanswered 2 s is made again. */
void lb_tsock_tick(struct lb_tsock *t, double now);

/* The master's: makes n transparent sockets of kind and sends each to
 * the worker at ch (message type, arg the kind); returns how many went
 * (fewer, with the reason logged, when one cannot be made or sent). */
unsigned lb_tsock_make(unsigned kind, unsigned n,
    const struct edged_channel *ch, uint16_t type);

#endif /* EDGED_LB_TSOCK_H */
