/*
 * lb/accesslog.h - access logs: one line per transaction, formatted on
 * the event-loop thread into a buffer of its own, written by one logger
 * thread.  An event loop never waits on a disk or a socket: when the
 * logger falls behind, lines are dropped and counted.
 */
#ifndef EDGED_LB_ACCESSLOG_H
#define EDGED_LB_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_logger;
struct lb_log_chunk;

/* What one line says (times in seconds, from ev_now). */
struct lb_log_record {
	const char *client;		/* "ADDR:PORT" */
	const char *vs;
	const char *pool;
	const char *member;		/* "-" when none */
	double when;			/* wall clock of the request's start */
	int t_request;			/* ms: head received */
	int t_queue;			/* ms: waiting for a member (0) */
	int t_connect;			/* ms: connecting, -1 when none */
	int t_response;			/* ms: waiting for the response head */
	int t_total;			/* ms: the whole transaction */
	int status;			/* -1 when none was sent */
	uint64_t bytes;			/* sent to the client */
	const char *term;		/* termination state, 2 characters */
	const char *request;		/* "GET /path HTTP/1.1" */
	/* TLS terminated: what the handshake agreed; NULL otherwise */
	const char *tls_version;	/* "TLSv1.3" */
	const char *tls_cipher;
	const char *sni;		/* "" when the client sent none */
	bool tls_resumed;
};

/* Formats r as a line (with its newline) into buf; returns its length
 * (< size, truncated to fit). */
size_t lb_log_format(const struct lb_log_record *r, bool json, char *buf,
    size_t size);

/* The logger of a runtime: nvs destinations, fds[i] a file descriptor
 * (owned from now) or -1, syslog[i] the syslog socket (e.g. "/dev/log")
 * or NULL, names[i] what messages call the destination (kept, not
 * copied: it outlives the logger).  NULL when none logs.  A destination
 * that cannot be written (a full disk, syslog gone) loses its lines,
 * counted as dropped, with a warning at most every 10 s. */
struct lb_logger *lb_logger_new(size_t nvs, const int *fds,
    const char *const *syslog, const char *const *names);
void lb_logger_free(struct lb_logger **l);
/* A thread's pending lines for one virtual server. */
struct lb_log_buf {
	struct lb_log_chunk *chunk;
};
/* Appends a line for virtual server vs (from its event thread). */
void lb_log_append(struct lb_logger *l, struct lb_log_buf *b, size_t vs,
    const char *line, size_t len);
/* Hands what b holds to the logger (the thread's periodic flush). */
void lb_log_flush(struct lb_logger *l, struct lb_log_buf *b);
/* Lines dropped: the logger was behind, or the destination could not be
 * written; 0 for a NULL logger. */
uint64_t lb_log_dropped(const struct lb_logger *l);

#endif /* EDGED_LB_ACCESSLOG_H */
