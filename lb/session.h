/*
 * lb/session.h - one client connection and the request/response
 * transactions on it.  Private to lb/.
 *
 * States, in the order a connection normally goes through them:
 *
 *   PROXY      a listener with accept-proxy: reading the PROXY protocol
 *              header (timeout http-request), before anything else
 *   HANDSHAKE  TLS handshake with the client (https profiles; timeout
 *              http-request, which goes on counting in WAIT_REQ); a
 *              client speaking plain HTTP gets a plain 400 (REPLY)
 *   HELLO      ssl-passthrough: reading the ClientHello (timeout
 *              http-request), then TUNNEL (passthrough.c)
 *   WAIT_REQ   no byte of the next request yet (new or keep-alive)
 *   READ_HEAD  request head arriving (timeout http-request)
 *   TARPIT     a request an application rule's tarpit holds: nothing is
 *              read or sent until timeout tarpit, then its answer
 *   QUEUED     every member that could take the request is at its
 *              max-connections: it waits in its pool's queue, in
 *              arrival order, until one frees (timeout queue: 503)
 *   FORWARD    a member was picked: request and response flow; the
 *              backend may still be connecting
 *   TUNNEL     after 101 Switching Protocols: raw bytes both ways
 *   REPLY      sending a response edged generated, then close
 *   LINGER     closed for writing; reading what the client still sends
 *              so that the kernel does not reset the reply away
 *
 * Only session.c assigns the state.  The layers below it (http_request.c,
 * http_response.c, passthrough.c, connect.c, txn.c) read the session and
 * fill in what they found, and say what should happen next with a struct
 * lb_next; none of them ends the session or calls back into session.c.
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
	SESS_PROXY,
	SESS_HANDSHAKE,
	SESS_HELLO,
	SESS_WAIT_REQ,
	SESS_READ_HEAD,
	SESS_TARPIT,
	SESS_QUEUED,
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

/*
 * What a step below the session asks of it.  session.c acts on it (a
 * reply, a tunnel, the next request, the end) and is the only one that
 * does: a layer that finds a request it must refuse returns
 * lb_next_reply(400), it does not answer it.
 */
enum lb_do {
	LB_GO,			/* nothing more now: wait for events */
	LB_DISPATCH,		/* a request is ready for a member (its
				 * struct lb_dispatch says what it needs) */
	LB_REPLY,		/* answer with status, a reply edged makes */
	LB_TARPIT,		/* hold the request, then answer status */
	LB_TUNNEL,		/* 101: bytes go both ways unchanged */
	LB_DONE,		/* the whole response came */
	LB_CLOSE,		/* end the session (why) */
};

/* Small enough to come back in two registers. */
struct lb_next {
	uint8_t what;			/* enum lb_do */
	uint16_t status;		/* LB_REPLY */
	uint32_t len;			/* LB_REPLY: text's length; 0: edged's
					 * reply for status */
	union {
		const char *why;	/* LB_CLOSE: for the debug log, and
					 * the access log's termination */
		const char *text;	/* LB_REPLY: the whole response (in
					 * the thread's scratch) */
	};
};

static inline struct lb_next
lb_next(enum lb_do what)
{
	return (struct lb_next){ .what = (uint8_t)what };
}

static inline struct lb_next
lb_next_reply(int status)
{
	return (struct lb_next){ .what = LB_REPLY, .status = (uint16_t)status };
}

/* A reply of status whose whole text (len bytes, with Connection: close)
 * is made: an application rule's. */
static inline struct lb_next
lb_next_reply_text(int status, const char *text, size_t len)
{
	return (struct lb_next){ .what = LB_REPLY, .status = (uint16_t)status,
	    .len = (uint32_t)len, .text = text };
}

static inline struct lb_next
lb_next_close(const char *why)
{
	return (struct lb_next){ .what = LB_CLOSE, .why = why };
}

/* What a request ready for a member needs at dispatch: the key that
 * hashes it (per the pool's algorithm; NULL when there is none), and,
 * for HTTP, the length of its rewritten head in the thread's scratch. */
struct lb_dispatch {
	const char *key;
	size_t keylen;
	uint32_t head_len;
};

struct lb_session;

/*
 * The protocol a virtual server speaks, chosen per profile
 * (lb_proto_of).  The session drives the states; the protocol reads and
 * writes the bytes that mean something to it.
 */
struct lb_proto {
	const char *name;
	/* The state of a new connection (after a TLS handshake). */
	enum lb_sess_state first;
	/* A dispatched request goes straight to TUNNEL (no HTTP). */
	bool tunnel;
	/* Can answer with a reply of its own (else a refusal closes). */
	bool replies;
	/* Goes to a member as soon as the connection is accepted, without
	 * waiting for a byte (a server may speak first). */
	bool at_accept;
	/* A tunnel passes each side's FIN to the other and ends once both
	 * sides closed (else a member's close ends it). */
	bool half_close;
	/* A tunnel between two plain sockets moves bytes with splice(2). */
	bool splice;
	/* Client bytes came in first or in FORWARD: LB_DISPATCH (d
	 * filled), LB_REPLY, LB_CLOSE, or LB_GO for more. */
	struct lb_next (*request)(struct lb_session *s,
	    struct lb_dispatch *d);
	/* A member was picked (not yet taken): ready the request for it.
	 * NULL: nothing to do. */
	struct lb_next (*dispatch)(struct lb_session *s,
	    const struct lb_dispatch *d);
	/* Member bytes came in FORWARD, and the member's close after its
	 * response began: LB_GO, LB_TUNNEL, LB_DONE, LB_REPLY, LB_CLOSE. */
	struct lb_next (*response)(struct lb_session *s);
	struct lb_next (*response_eof)(struct lb_session *s);
};

extern const struct lb_proto lb_proto_http;
extern const struct lb_proto lb_proto_passthrough;
extern const struct lb_proto lb_proto_tcp;

union lb_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct lb_session {
	struct lb_thread *t;
	struct lb_rt_vs *vs;
	const struct lb_proto *proto;
	struct lb_rt_pool *pool;	/* where requests go: the virtual
					 * server's, or the one SNI chose */
	struct lb_session *next, *prev;	/* the thread's live sessions */
	/* queued for lb_session_flush (flush_pprev != NULL while it is) */
	struct lb_session *flush_next, **flush_pprev;
	struct lb_transport cli;
	ev_io io;
	ev_timer timer;
	ev_tstamp cexp;			/* client-side deadline, 0 = none */
	ev_tstamp sexp;			/* server-side deadline, 0 = none */
	union lb_sockaddr peer;		/* the client's (accept-proxy: as its
					 * header says) */
	union lb_sockaddr local;	/* accept-proxy: the address the
					 * client connected to, has_local */
	bool has_local;
	unsigned char *pp_buf;		/* PROXY: a header's beginning, when
					 * it came in parts (pp_len bytes) */
	uint16_t pp_len;
	enum lb_sess_state state;
	/* set once a step asked to end the session: the event callback
	 * that ran it ends it when everything it did is over */
	const char *closing;

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
	int tarpit_status;		/* TARPIT: the answer when it ends */

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
	bool cli_shut;			/* tunnel: the server's FIN passed on
					 * to the client (half_close) */
	bool no_splice;			/* no pipe could be had: buffers */
	bool up_bulk, down_bulk;	/* a read filled the buffer: that
					 * direction of a tunnel splices */
	struct lb_pipe up, down;	/* splice: client to member, member
					 * to client (rd -1: none) */
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
					 * before a reply to override
					 * it (RC) */
	char *reqline;			/* only when the virtual server logs */
	struct lb_rule_var *vars;	/* set-var's, when the rules have
					 * some: [nvars] */
	size_t nvars;
	struct lb_member *persist;	/* the member persistence named */
	bool persist_learn;		/* ssl-session-id: the ServerHello's
					 * id is yet to be kept */
	uint32_t persist_first;		/* its cookie's dates (Unix s), with */
	uint32_t persist_last;		/* max-idle or max-life */
	struct lb_session *qnext;	/* QUEUED: the next in the queue */
	uint64_t qticket;		/* QUEUED: its place, pool-wide */
	bool qbound;			/* QUEUED: it waits for the member
					 * persistence names */
	char *qkey;			/* QUEUED: its hash key, copied */
	size_t qkeylen;
	struct lb_rule_track *tracks;	/* [LB_TRACKERS] when the rules
					 * track: the connection's, until it
					 * ends */
	ev_tstamp armed;		/* when the timer fires, 0 = stopped */
};

static inline ev_tstamp
lb_now(const struct lb_session *s)
{
	return ev_now(s->t->loop);
}

static inline const struct lb_timeouts *
lb_tmo(const struct lb_session *s)
{
	return &s->t->rt->conf->timeouts;
}

#define LB_SEC(ms)	((ev_tstamp)(ms) / 1000.0)

/* ---- session.c ---- */
/* The one teardown: stops watchers, releases everything, frees s.  Only
 * from the event callbacks, and from the runtime stopping its thread. */
void lb_session_end(struct lb_session *s, const char *why);
/* The worker drains: s ends after its current request, or after
 * LB_DRAIN_IDLE seconds idle. */
void lb_session_drain(struct lb_session *s);
/* The loop's turn: every session queued writes what it holds. */
void lb_session_flush(struct lb_thread *t);
/* The requests of t waiting for a member go to those that have room,
 * oldest first pool-wide: a thread serves its oldest only when no other
 * thread has an older one waiting, and else tells that thread (qwake).
 * A request waiting for the member persistence names is served when
 * that member has room.  Run at the loop's turn, on qwake, and on qtick
 * while some wait (a member another thread freed). */
#define LB_QUEUE_TICK	0.01
void lb_session_dequeue(struct lb_thread *t);
void lb_session_queue_tick(struct ev_loop *loop, ev_timer *w, int revents);
void lb_session_queue_wake(struct ev_loop *loop, ev_async *w, int revents);
/* A request of pool p ended on t: if some wait, the thread holding the
 * oldest is told (its own turn serves t's). */
void lb_session_queue_kick(struct lb_thread *t, struct lb_rt_pool *p);
/* A backend connection's events; libev calls it (connect.c registers
 * it for every connection it opens). */
void lb_session_server_io(struct ev_loop *loop, ev_io *w, int revents);
/* The protocol of a virtual server's profile. */
const struct lb_proto *lb_proto_of(const struct lb_profile_conf *p);

/* ---- http_request.c: the request of an HTTP transaction ---- */
/* Parses what the request buffer holds: LB_DISPATCH once a head is
 * whole and rewritten (then again after the dispatch, for the body),
 * LB_REPLY for a request refused, LB_CLOSE, or LB_GO. */
struct lb_next lb_req_parse(struct lb_session *s, struct lb_dispatch *d);
/* Puts the rewritten head in place of the one read: LB_GO, or a 431
 * reply when it does not fit. */
struct lb_next lb_req_commit(struct lb_session *s,
    const struct lb_dispatch *d);
extern const llhttp_settings_t lb_req_settings;
struct lb_rule_input;
struct lb_rule_outcome;
/* What the application rules read of s besides the head: its addresses
 * (the local one into local, only when a rule reads it), TLS, SNI. */
void lb_req_rule_input(struct lb_session *s, struct lb_rule_input *in,
    union lb_sockaddr *local);
/* A connection's rules (ssl-passthrough, tcp: use_backend on the
 * addresses, ports and sni, NULL without one): the first that holds sets
 * s->pool. */
void lb_conn_rules(struct lb_session *s, const char *sni);
/* tcp.c: what a connection without HTTP is hashed by: the client's
 * address under ip-hash, nothing else (rr and least-conn need none; the
 * algorithms that hash a part of a request go by the pool's order, and
 * are refused for tcp) */
void lb_conn_key(struct lb_session *s, struct lb_dispatch *d);
/* The answer a rule's verdict (deny, return, redirect) asks for, made in
 * the thread's scratch: LB_REPLY (500 when it cannot be made). */
struct lb_next lb_req_rule_reply(struct lb_session *s,
    const struct lb_rule_outcome *o);

/* ---- http_response.c: the member's response ---- */
/* Parses what the response buffer holds, rewriting each final head:
 * LB_GO, LB_TUNNEL (a 101), LB_DONE, LB_REPLY (502), LB_CLOSE. */
struct lb_next lb_rsp_parse(struct lb_session *s);
/* The member closed after its response began: LB_DONE when that ends
 * the response, else LB_CLOSE (a body cut short). */
struct lb_next lb_rsp_eof(struct lb_session *s);
extern const llhttp_settings_t lb_rsp_settings;

/* ---- persist.c: persistence (persist.h) ---- */
/* A request head (head[0..len), s->pool chosen): the member its cookie
 * names, into s->persist. */
void lb_persist_request(struct lb_session *s, const char *head, size_t len);
/* The rewritten head in buf (*len bytes, cap of room): prefix mode
 * takes "MEMBER~" out of the cookie the member sees.  0, or -1 when it
 * does not fit. */
int lb_persist_request_edit(struct lb_session *s, char *buf, size_t *len,
    size_t cap);
/* At dispatch: the member persistence sends the request to (up, and not
 * disabled: a drained one keeps its clients), or NULL to pick one. */
struct lb_member *lb_persist_member(struct lb_session *s);
/* Whether m (NULL: no) may keep the clients persistence sends it. */
bool lb_persist_usable(const struct lb_member *m);
/* ssl-session-id: the ClientHello's session id (idlen bytes, 0 none)
 * names the member it had; and the member's first bytes, its ServerHello,
 * give the id the session will be resumed with, kept for it. */
void lb_persist_hello(struct lb_session *s, const uint8_t *id, size_t idlen);
void lb_persist_server_hello(struct lb_session *s, const uint8_t *data,
    size_t len);
/* The member picked (or kept): source-ip's entry says it. */
void lb_persist_chosen(struct lb_session *s, const struct lb_member *m);
/* The response head in buf (*len bytes, cap of room): insert tells a
 * client that went to another member than its cookie named; prefix and
 * rewrite mark the cookie the member set with its name.  0, or -1 when
 * it does not fit. */
int lb_persist_response(struct lb_session *s, char *buf, size_t *len,
    size_t cap);

/* ---- passthrough.c ---- */
/* Reads the ClientHello: LB_GO until it is whole, then LB_DISPATCH with
 * the pool chosen by its SNI; LB_CLOSE for one that does not parse. */
struct lb_next lb_pass_hello(struct lb_session *s, struct lb_dispatch *d);
struct lb_proxy_tlvs;
struct lb_tls_hello;
/* What a member's PROXY header (version 2) tells of the client's TLS,
 * from its ClientHello (parsed again into h, which t points into):
 * NULL when there is none to read. */
const struct lb_proxy_tlvs *lb_pass_tlvs(struct lb_session *s,
    struct lb_proxy_tlvs *t, struct lb_tls_hello *h);

/* ---- proxy_accept.c: a listener's accept-proxy ---- */
/* Reads the client's PROXY header, taking from the socket only its
 * bytes: LB_GO (*whole once it is read, s->peer and s->local then the
 * header's), or LB_CLOSE for a connection without a valid one. */
struct lb_next lb_proxy_read(struct lb_session *s, bool *whole);
/* The address the client connected to (accept-proxy: the header's)
 * into local: false when it cannot be had. */
bool lb_session_local(struct lb_session *s, union lb_sockaddr *local);

/* ---- txn.c: a transaction's counters and access-log line ---- */
/*
 * Counts the transaction as a request of the virtual server, and, when
 * pool is true (it reached the pool: a member is to be picked), of its
 * pool; each at most once per transaction.  Every request counted ends in
 * exactly one response class: its status's, or "other" when it got none
 * (lb_txn_count_unanswered), so requests == the sum of the classes.
 */
void lb_txn_count_request(struct lb_session *s, bool pool);
/* The final status of the transaction, from a member or from edged. */
void lb_txn_count_status(struct lb_session *s, int status);
/* The transaction ends without a status (cut short, or a tunnel of
 * ssl-passthrough): a request counted goes to the "other" class. */
void lb_txn_count_unanswered(struct lb_session *s);
/* What the log says of a reply edged made (s->term when set). */
const char *lb_txn_reply_term(const struct lb_session *s, int status);
/* The transaction's access-log line, once (term: its termination
 * state, e.g. "--" normal, "CD" client aborted during data). */
void lb_txn_log(struct lb_session *s, const char *term);

/* ---- connect.c ---- */
/* Gives s a connection to s->member: an idle one when allowed, else a new
 * one (retrying elsewhere when it cannot be opened): LB_GO, or the
 * LB_REPLY that lb_conn_retry came to. */
struct lb_next lb_conn_get(struct lb_session *s);
/* The backend connection failed before answering (why, errno err).
 * Retries on another member (or, fresh_same when a reused idle connection
 * was closed under us, on a new connection to the same member), bounded;
 * then asks for status (503 for connects, 502 for a close, 504 for a
 * timeout).  An err that is the edge's own (lb_err_local: EMFILE,
 * ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL) is neither retried nor counted
 * against the member: a 503 at once, termination state RC.  LB_GO while
 * a retry goes on, else LB_REPLY. */
struct lb_next lb_conn_retry(struct lb_session *s, const char *why, int err,
    bool fresh_same, int status);
/* The member failed s's request (why, errno err) where it cannot be
 * retried: says so, and what the client gets (status; 0: the response
 * it was getting is cut short). */
void lb_conn_failed(struct lb_session *s, const char *why, int err,
    int status);
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
/* The PROXY header of s (member send-proxy) on c, just connected: 0, or
 * -1 with errno. */
int lb_conn_send_proxy(struct lb_session *s, struct lb_conn *c);
/* Pick a member for s (balancing, backups, avoid); NULL = none usable. */
struct lb_member *lb_pick_member(struct lb_session *s, const char *key,
    size_t keylen);
void lb_member_take(struct lb_session *s, struct lb_member *m);
void lb_member_drop(struct lb_session *s);

#endif /* EDGED_LB_SESSION_H */
