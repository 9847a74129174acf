/*
 * lb/session.h - one client connection and the request/response
 * transactions on it.  Private to lb/.
 *
 * States, in the order a connection normally goes through them:
 *
 *   HANDSHAKE  TLS handshake with the client (https profiles; timeout
 *              http-request, which goes on counting in WAIT_REQ); a
 *              client speaking plain HTTP gets a plain 400 (REPLY)
 *   HELLO      ssl-passthrough: reading the ClientHello (timeout
 *              http-request), then TUNNEL (passthrough.c)
 *   WAIT_REQ   no byte of the next request yet (new or keep-alive)
 *   READ_HEAD  request head arriving (timeout http-request)
 *   FORWARD    a member was picked: request and response flow; the
 *              backend may still be connecting
 *   TUNNEL     after 101 Switching Protocols: raw bytes both ways
 *   REPLY      sending a response edged generated, then close
 *   LINGER     closed for writing; reading what the client still sends
 *              so that the kernel does not reset the reply away
 *
 * The session owns both buffers, its backend connection while a request
 * is in flight, and the member's active count; lb_session_end releases all
 * of it, on every path.
 */
#ifndef EDGED_LB_SESSION_H
#define EDGED_LB_SESSION_H

#include <netinet/in.h>

#include "lb_int.h"

/* Seconds an idle keep-alive connection of a draining worker may stay
 * silent before it is closed (lb_session_drain). */
#define LB_DRAIN_IDLE	1.0

enum lb_sess_state {
	SESS_HANDSHAKE,
	SESS_HELLO,
	SESS_WAIT_REQ,
	SESS_READ_HEAD,
	SESS_FORWARD,
	SESS_TUNNEL,
	SESS_REPLY,
	SESS_LINGER,
};

enum lb_pause {
	PAUSE_NONE,
	PAUSE_HEAD,			/* llhttp paused after a head */
	PAUSE_MESSAGE,			/* ... after a whole message */
};

union lb_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct lb_session {
	struct lb_thread *t;
	struct lb_rt_vs *vs;
	struct lb_rt_pool *pool;	/* where requests go: the virtual
					 * server's, or the one SNI chose */
	struct lb_session *next, *prev;	/* the thread's live sessions */
	/* queued for lb_fwd_flush (flush_pprev != NULL while it is) */
	struct lb_session *flush_next, **flush_pprev;
	struct lb_transport cli;
	ev_io io;
	ev_timer timer;
	ev_tstamp cexp;			/* client-side deadline, 0 = none */
	ev_tstamp sexp;			/* server-side deadline, 0 = none */
	union lb_sockaddr peer;
	enum lb_sess_state state;

	struct lb_buf req;		/* client -> backend */
	struct lb_buf rsp;		/* backend -> client */
	llhttp_t reqp;
	llhttp_t rspp;
	enum lb_pause req_pause;
	enum lb_pause rsp_pause;
	uint32_t msg_start;		/* current request in req */

	struct lb_conn *conn;		/* backend, while a request is on */
	struct lb_member *member;	/* counted in member->active */
	/* members whose connect failed for this request: retries avoid them
	 * all, then go to the backups */
	struct lb_member *failed[LB_CONNECT_RETRIES + 1];
	unsigned retries;
	unsigned nreq;			/* requests on this connection */
	int status;			/* final status sent, 0 = none yet */

	bool req_done;			/* whole request parsed */
	bool rsp_started;		/* a final response head went out */
	bool rsp_done;			/* whole response parsed */
	bool keep_alive;		/* client connection stays open */
	bool http10;
	bool is_head;			/* HEAD request */
	bool upgrade;			/* request asked for an upgrade */
	bool has_body;
	bool srv_reusable;
	bool cli_eof;
	bool srv_shut;			/* tunnel: FIN passed on to the server */
	bool req_sent;			/* body bytes went to a backend */
	bool dispatched;		/* counted for s->member */
	bool idempotent;		/* RFC 9110: may be sent twice */
	bool fresh_conn;		/* next lb_conn_get must connect anew */
	bool logged;			/* this transaction's line is out */
	bool req_counted;		/* in the virtual server's requests */
	bool pool_counted;		/* ... and in its pool's */
	bool req_trailer_name;		/* a trailer's name had a byte */
	bool rsp_trailer_name;

	/* for the access log (ev_now times; 0 = not reached) */
	ev_tstamp t_req, t_head, t_conn, t_rsp;
	uint64_t rsp_bytes;		/* sent to the client */
	const char *mname;		/* the member that answered */
	const char *term;		/* termination state of a reply; set
					 * before lb_fwd_reply to override
					 * it (RC) */
	char *reqline;			/* only when the virtual server logs */
	ev_tstamp armed;		/* when the timer fires, 0 = stopped */
};

/* forward.c */
void lb_fwd_client_io(struct ev_loop *loop, ev_io *w, int revents);
void lb_fwd_server_io(struct ev_loop *loop, ev_io *w, int revents);
void lb_fwd_timeout(struct ev_loop *loop, ev_timer *w, int revents);
void lb_fwd_flush(struct lb_thread *t);
void lb_fwd_unqueue(struct lb_session *s);
/* A new connection: TLS and passthrough take their first step at once
 * (the ClientHello is usually there already), sparing a turn of the
 * loop.  s may have ended when it returns. */
void lb_fwd_start(struct lb_session *s);
/* Sets both connections' watchers to what the state and buffers need. */
void lb_fwd_sync(struct lb_session *s);
/* Parses what the request buffer holds; may start a transaction.
 * Returns 0, or -1 when the session ended. */
int lb_fwd_request(struct lb_session *s);
/* Sends a generated response and closes.  Returns -1 if the session
 * ended at once, else 0. */
int lb_fwd_reply(struct lb_session *s, int status);
/*
 * Counts the transaction as a request of the virtual server, and, when
 * pool is true (it reached the pool: a member is to be picked), of its
 * pool; each at most once per transaction.  Every request counted ends in
 * exactly one response class: its status's, or "other" when it got none
 * (lb_fwd_count_unanswered), so requests == the sum of the classes.
 */
void lb_fwd_count_request(struct lb_session *s, bool pool);
/* The transaction ends without a status (cut short, or a tunnel of
 * ssl-passthrough): a request counted goes to the "other" class. */
void lb_fwd_count_unanswered(struct lb_session *s);

/* connect.c */
/* Gives s a connection to s->member: an idle one when allowed, else a new
 * one.  Returns 0, or -1 when a socket could not even be created. */
int lb_conn_get(struct lb_session *s);
/* The backend connection failed before answering (why, errno err).
 * Retries on another member (or, fresh_same when a reused idle connection
 * was closed under us, on a new connection to the same member), bounded;
 * then answers status (503 for connects, 502 for a close, 504 for a
 * timeout).  An err that is the edge's own (lb_err_local: EMFILE,
 * ENFILE, ENOBUFS, ENOMEM) is neither retried nor counted against the
 * member: the client gets 503 at once, termination state RC.  Returns
 * -1 if the session ended. */
int lb_conn_retry(struct lb_session *s, const char *why, int err,
    bool fresh_same, int status);
/* An idle backend connection became readable: it closed or misbehaved
 * (or, with TLS, sent a message of its own, and stays). */
void lb_conn_idle_event(struct lb_conn *c);
/* Closes every idle backend connection of t. */
void lb_conn_close_idle(struct lb_thread *t);
/* The request goes out on an established connection to s->member
 * (new_conn: one just opened): counts it for the member. */
void lb_conn_dispatched(struct lb_session *s, bool new_conn);
/* Detaches s->conn: back to the idle pool when reusable, else closed. */
void lb_conn_release(struct lb_session *s, bool reusable);
/* Pick a member for s (balancing, backups, avoid); NULL = none usable. */
struct lb_member *lb_pick_member(struct lb_session *s, const char *key,
    size_t keylen);
void lb_member_take(struct lb_session *s, struct lb_member *m);
void lb_member_drop(struct lb_session *s);

/* From here on bytes go both ways unchanged: what either buffer holds
 * is forwarded as it is. */
void lb_fwd_tunnel(struct lb_session *s);

/* passthrough.c */
/* The client sent more of its ClientHello: once it is whole, choose the
 * pool by SNI, pick a member and tunnel.  Returns -1 if s ended. */
int lb_pass_hello(struct lb_session *s);

/* The transaction's access-log line, once (term: its termination
 * state, e.g. "--" normal, "CD" client aborted during data). */
void lb_fwd_log(struct lb_session *s, const char *term);

/* session.c */
/* The one teardown: stops watchers, releases everything, frees s. */
void lb_session_end(struct lb_session *s, const char *why);
/* Arms the timer for the earliest deadline. */
void lb_session_timer(struct lb_session *s);
/* The keep-alive step: back to WAIT_REQ for the next request. */
int lb_session_next(struct lb_session *s);
/* The worker drains: s ends after its current request, or after
 * LB_DRAIN_IDLE seconds idle. */
void lb_session_drain(struct lb_session *s);

extern const llhttp_settings_t lb_req_settings;
extern const llhttp_settings_t lb_rsp_settings;

#endif /* EDGED_LB_SESSION_H */
