/*
 * lb/lb_int.h - structures shared by the files of the data path, private
 * to lb/.  One connection's life, one file per stage:
 *
 *   listener.c   accept, limits, back-off
 *   udp.c        the udp profile: datagrams, sessions by client
 *   session.c    the client connection: its states top to bottom, the
 *                reads and writes of both sides, timers, replies edged
 *                makes, the one teardown
 *   http_request.c, http_response.c
 *                an HTTP transaction's request and response (llhttp)
 *   passthrough.c  ssl-passthrough: the ClientHello, its SNI's pool
 *   http.c       request/response heads: validation, rewriting
 *   balance*.c   pick a member
 *   connect.c    backend connections: connect, idle reuse, retries
 *   txn.c        a transaction's counters and access-log line
 *   runtime.c    pools, members, threads and counters built from lb_conf
 *   stats.c      `edgectl show stats`
 */
#ifndef EDGED_LB_INT_H
#define EDGED_LB_INT_H

#include <errno.h>
#include <ev.h>
#include <string.h>
#include <llhttp.h>
#include <stdatomic.h>
#include <stdint.h>

#include "accesslog.h"
#include "balance.h"
#include "buf.h"
#include "lb.h"
#include "splice.h"
#include "lb_runtime.h"
#include "member.h"
#include "shm.h"
#include "pick.h"
#include "tls_ctx.h"
#include "transport.h"

#define LB_MAX_HEADERS		100
#define LB_CONNECT_RETRIES	3
#define LB_IDLE_PER_MEMBER	256	/* idle backend conns per thread */
#define LB_NO_TICKET		UINT64_MAX

struct lb_thread;
struct lb_session;
struct lb_proto;

struct lb_rt_pool {
	const struct lb_pool_conf *conf;
	size_t index;
	atomic_uint queued;		/* requests waiting, all threads */
	atomic_uint_fast64_t qseq;	/* the next waiting one's ticket */
	atomic_uint_fast64_t *qfirst;	/* [rt->nthreads]: the ticket of
					 * each thread's oldest request
					 * waiting for any member (one that
					 * waits for the member persistence
					 * names aside); LB_NO_TICKET none */
	struct lb_member *members;	/* conf->nmembers */
	size_t nmembers;
	size_t member_base;		/* index of members[0] runtime-wide */
	struct lb_member **primary;
	size_t nprimary;
	struct lb_member **backup;
	size_t nbackup;
};

struct lb_rt_vs {
	const struct lb_vs_conf *conf;
	const struct lb_profile_conf *profile;
	const struct lb_proto *proto;	/* what it speaks (session.h) */
	struct lb_rt_pool *pool;
	SSL_CTX *tls;			/* https: the default context */
	struct lb_rules *rules;		/* application rules, NULL none */
	size_t index;
	atomic_uint conns;		/* all threads, for max-connections */
	_Atomic uint64_t rate_tat;	/* rate-limit: when, in CLOCK_MONOTONIC
					 * us, the bucket is empty again */
};

/* A backend connection: in use by one session, or idle in its thread's
 * pool for its member. */
struct lb_conn {
	struct lb_transport tr;
	ev_io io;
	struct lb_thread *thread;
	struct lb_member *member;
	struct lb_session *sess;	/* NULL while idle */
	struct lb_conn *next, *prev;	/* idle list */
	unsigned requests;		/* served on this connection */
	bool connected;			/* ready for requests (TLS: after the
					 * handshake) */
	bool handshaking;		/* TCP up, TLS handshake going on */
	bool proxied;			/* it began with a PROXY header */
	bool client_bound;		/* it carries one client's address (a
					 * PROXY header, or its source in a
					 * transparent pool), and is never
					 * reused for another */
};

/* Requests waiting for a member of a pool, in arrival order. */
struct lb_queue {
	struct lb_session *head;
	struct lb_session *tail;
};

struct lb_idle_list {
	struct lb_conn *head;
	unsigned n;
};

struct lb_listener {
	struct lb_thread *thread;
	struct lb_rt_vs *vs;
	ev_io io;
	int fd;
	bool paused;
	bool accept_proxy;		/* a PROXY header comes first */
	bool udp;			/* datagrams (udp.c), not accepts */
	bool pktinfo;			/* ... on a wildcard address: each
					 * one's own comes with it */
};

struct lb_thread {
	struct lb_runtime *rt;
	unsigned id;
	struct ev_loop *loop;
	struct lb_listener *listeners;
	size_t nlisteners;
	struct lb_pool_bal *bal;	/* [rt->npools] */
	struct lb_idle_list *idle;	/* [rt->nmembers] */
	struct lb_ctr *ctr_vs;		/* [rt->nvs] */
	struct lb_ctr *ctr_pool;	/* [rt->npools] */
	struct lb_ctr *ctr_member;	/* [rt->nmembers] */
	struct lb_ctr *ctr_rule;	/* [conf->nrule_ctrs]: hits */
	struct lb_buf_pool bufs;
	struct lb_pipe_pool pipes;	/* tunnels' splice(2) pipes */
	char *scratch;			/* head rewriting, LB_BUF_SIZE */
	struct lb_queue *queues;	/* [rt->npools]: this thread's
					 * requests waiting for a member */
	unsigned nqueued;
	ev_timer qtick;			/* while some wait: a member another
					 * thread freed is seen within it */
	ev_async qwake;			/* another thread says: the oldest
					 * request waiting is yours */
	char *rules_head;		/* a request head the rules change,
					 * LB_BUF_SIZE; NULL: no rules */
	ev_timer resume;		/* paused listeners retry */
	struct lb_log_buf *logbufs;	/* [rt->nvs], when rt->logger */
	ev_timer log_flush;
	ev_async wake;			/* stop / drain requests */
	unsigned nsessions;
	struct lb_udp *udp;		/* udp sessions (udp.c), NULL when
					 * the thread has no udp listener */
	unsigned nflows;		/* ... how many */
	bool draining;
	struct lb_session *sessions;	/* all live sessions, for drain */
	struct lb_session *flush;	/* writes deferred to the loop's turn
					 * (lb_session_flush) */
};

struct lb_runtime {
	const struct lb_conf *conf;
	unsigned nthreads;
	uint64_t max_connections;
	atomic_uint conns;		/* client connections, all threads */
	struct lb_rt_pool *pools;
	size_t npools;
	struct lb_rt_vs *vs;
	size_t nvs;
	size_t nmembers;
	struct lb_thread *threads;
	atomic_int stop;		/* 1 drain, 2 now */
	struct lb_monitors *monitors;	/* NULL: no pool has a monitor */
	struct lb_stick *const *sticks;	/* [conf->nsticks], the worker's */
	struct lb_logger *logger;	/* NULL: no access log */
	const char **log_names;		/* [nvs]: each one's access-log */
	struct lb_shm shm;		/* counters, member state (shm.h) */
	struct lb_tls *tls;		/* contexts (tls_ctx.h); NULL until
					 * lb_runtime_tls */
	void *shm_own;			/* the block, when not the master's */
	struct lb_tsock *tsock;		/* transparent pools' sockets
					 * (tsock.h); NULL: none */
};

/* A warning that could come at every accept or datagram is said once a
 * second at most, whichever thread says it: true when it is due now
 * (last: the call site's own, static). */
static inline bool
lb_warn_due(_Atomic long *last, ev_tstamp now)
{
	return atomic_exchange(last, (long)now) != (long)now;
}

/* ---- listener.c ---- */
/* Starts accepting on every listener of t (fds set). */
void lb_listeners_init(struct lb_thread *t);
void lb_listener_start(struct lb_listener *l);
void lb_listener_stop(struct lb_listener *l);
/* Accepts what is already queued (those sessions drain with the rest),
 * then stops and closes the listener. */
void lb_listener_drain(struct lb_listener *l);
/* A session ended: paused listeners may accept again. */
void lb_listeners_resume(struct lb_thread *t);

/* ---- connect.c ---- */
/* A socket for a pool's members, before its connect: bound to the
 * pool's source-address, when it has one.  0, or -1 with errno
 * (EADDRNOTAVAIL: not an address of this host). */
int lb_bind_source(int fd, const struct lb_pool_conf *p);
/* A transparent pool's socket of socktype (one the master made,
 * tsock.h) for member m, bound to the client's address (its port the
 * kernel's); -1 with errno (LB_ETSOCK: the stock is empty). */
union lb_sockaddr;
int lb_transparent_socket(struct lb_runtime *rt,
    const union lb_sockaddr *client, const struct lb_member *m,
    int socktype);

/* ---- session.c ---- */
/* A connection accepted on l: a new session takes fd and its first
 * step.  Returns 0, or -1 out of memory (fd is still the caller's). */
int lb_session_accept(struct lb_listener *l, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen);

#endif /* EDGED_LB_INT_H */
