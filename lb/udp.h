/*
 * lb/udp.h - the udp profile (udp.c): a thread's sessions of client
 * datagrams, each with its member's socket.  Private to lb/.
 */
#ifndef EDGED_LB_UDP_H
#define EDGED_LB_UDP_H

#include <stdbool.h>

struct lb_listener;
struct lb_thread;

/* t's sessions, for its udp listeners: 0, or -1 out of memory. */
int lb_udp_thread_init(struct lb_thread *t);
/* A udp listener's socket fd: on a wildcard address, set to tell each
 * datagram's own (true), which the worker then reads and replies from. */
bool lb_udp_listener_setup(int fd);
/* A udp listener is readable: its datagrams go to their sessions. */
void lb_udp_read(struct lb_listener *l);
/* The worker drains: each session ends after LB_DRAIN_IDLE without a
 * datagram. */
void lb_udp_drain(struct lb_thread *t);
/* Ends every session of t and frees them (t->udp NULL after). */
void lb_udp_thread_done(struct lb_thread *t);

#endif
