/*
 * lb/udp.c - the udp profile: datagrams, top to bottom:
 *
 *   a listener's datagrams, in batches (recvmmsg) -> each client's
 *   session, found by its address and port, or made: the pool's pick,
 *   a socket connected to the member -> the datagrams to the member
 *   (sendmmsg, a run of one session's at once) -> the member's replies
 *   on the session's socket, in batches -> to the client from the
 *   listener's socket, so from the virtual server's address (sendmmsg)
 *   -> the session ends when idle (timeout udp), once each datagram the
 *   client sent got udp-responses replies, when its member goes down
 *   (seen at the client's next datagram), or when the member refuses
 *   (an ICMP port unreachable, ECONNREFUSED on the session's socket)
 *
 * A session is what a connection is for TCP: it counts in the virtual
 * server's connections and max-connections, in the member's load
 * (least-conn, max-connections), and once as a request (of the "other"
 * class: a datagram has no status).  A datagram that finds no session
 * and cannot make one (no usable member, a limit reached, no memory) is
 * dropped, and counts as an error of the virtual server; so does one too
 * large to be read whole.
 *
 * Each thread has its own sessions: the kernel hands a client's
 * datagrams to one SO_REUSEPORT socket, so to one thread, by hashing
 * its addresses and ports.
 *
 * A listener on a wildcard address (0.0.0.0, ::) learns the address each
 * datagram was sent to (IP_PKTINFO, IPV6_RECVPKTINFO): it is part of the
 * session's key, and the replies leave from it, as the client expects.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "session.h"
#include "udp.h"

/* Datagrams read or sent in one call, and the largest one: a UDP
 * payload's limit, so that none is cut. */
#define UDP_BATCH	16
#define UDP_DGRAM_MAX	65535
#define UDP_BUCKETS_MIN	256

/* The address a datagram came to, and replies leave from. */
union lb_pktinfo {
	struct in_pktinfo v4;
	struct in6_pktinfo v6;
};

/* A control message that holds one. */
union lb_pktinfo_cmsg {
	char buf[CMSG_SPACE(sizeof(union lb_pktinfo))];
	struct cmsghdr align;
};

struct lb_udp_flow {
	struct lb_udp_flow *hnext;	/* the table's chain */
	struct lb_udp_flow *next, *prev;	/* the thread's sessions */
	struct lb_udp *u;
	struct lb_listener *l;
	struct lb_rt_pool *pool;
	struct lb_member *member;
	union lb_sockaddr client;
	socklen_t clientlen;
	union lb_pktinfo local;		/* wildcard listeners: what the
					 * client sent to */
	uint64_t hash;
	uint64_t datagrams;		/* from the client */
	uint64_t replies;		/* from the member */
	uint64_t bytes_out;		/* to the client */
	ev_tstamp start;
	ev_io io;			/* the member's socket */
	ev_timer idle;
	ev_tstamp last;			/* the last datagram either way */
};

struct lb_udp {
	struct lb_thread *t;
	struct lb_udp_flow **buckets;
	size_t nbuckets;		/* a power of two */
	size_t nflows;
	struct lb_udp_flow *flows;
	/* one batch's datagrams, read or to send */
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	union lb_sockaddr addrs[UDP_BATCH];
	union lb_pktinfo_cmsg ctl[UDP_BATCH];	/* wildcard listeners */
	char (*bufs)[UDP_DGRAM_MAX];	/* [UDP_BATCH] */
};

static ev_tstamp
idle_timeout(const struct lb_udp *u)
{
	uint64_t ms = u->t->rt->conf->timeouts.udp;

	return LB_SEC(ms > 0 ? ms : LB_UDP_TIMEOUT);
}

/* ---- the table ---- */

/* The address a datagram came to, of a wildcard listener (zeros for
 * another). */
static const void *
local_addr(const union lb_pktinfo *p, int family, size_t *len)
{
	*len = family == AF_INET ? 4 : 16;
	return family == AF_INET ? (const void *)&p->v4.ipi_addr :
	    (const void *)&p->v6.ipi6_addr;
}

static uint64_t
addr_hash(const struct lb_listener *l, const union lb_sockaddr *a,
    const union lb_pktinfo *to)
{
	const char *key;
	size_t len, tolen;
	const void *dst = local_addr(to, a->sa.sa_family, &tolen);

	lb_key_addr(&a->sa, &key, &len);
	/* the port spread over the bits the buckets take */
	return (lb_hash_bytes(key, len) ^ lb_hash_bytes(dst, tolen) ^
	    (uint64_t)(uintptr_t)l) + (a->sa.sa_family == AF_INET ?
	    a->sin.sin_port : a->sin6.sin6_port) * 0x9e3779b97f4a7c15ULL;
}

static bool
same_client(const struct lb_udp_flow *f, const struct lb_listener *l,
    const union lb_sockaddr *a, socklen_t len, const union lb_pktinfo *to)
{
	size_t tolen;
	const void *dst = local_addr(to, a->sa.sa_family, &tolen);
	const void *mine = local_addr(&f->local, a->sa.sa_family, &tolen);

	return f->l == l && f->clientlen == len &&
	    memcmp(dst, mine, tolen) == 0 && (a->sa.sa_family == AF_INET ?
	    f->client.sin.sin_port == a->sin.sin_port &&
	    f->client.sin.sin_addr.s_addr == a->sin.sin_addr.s_addr :
	    f->client.sin6.sin6_port == a->sin6.sin6_port &&
	    memcmp(&f->client.sin6.sin6_addr, &a->sin6.sin6_addr, 16) == 0);
}

static struct lb_udp_flow *
flow_find(struct lb_udp *u, const struct lb_listener *l,
    const union lb_sockaddr *a, socklen_t len, const union lb_pktinfo *to,
    uint64_t h)
{
	struct lb_udp_flow *f = u->buckets[h & (u->nbuckets - 1)];

	while (f != NULL && (f->hash != h || !same_client(f, l, a, len, to)))
		f = f->hnext;
	return f;
}

/* Twice the buckets once there are more sessions than buckets; where
 * memory is short, chains grow longer instead. */
static void
table_grow(struct lb_udp *u)
{
	size_t n = u->nbuckets * 2;
	struct lb_udp_flow **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i < u->nbuckets; i++) {
		struct lb_udp_flow *f, *next;

		for (f = u->buckets[i]; f != NULL; f = next) {
			next = f->hnext;
			f->hnext = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
		}
	}
	free(u->buckets);
	u->buckets = b;
	u->nbuckets = n;
}

static void
table_add(struct lb_udp *u, struct lb_udp_flow *f)
{
	struct lb_udp_flow **b;

	if (u->nflows >= u->nbuckets)
		table_grow(u);
	b = &u->buckets[f->hash & (u->nbuckets - 1)];
	f->hnext = *b;
	*b = f;
	f->next = u->flows;
	f->prev = NULL;
	if (u->flows != NULL)
		u->flows->prev = f;
	u->flows = f;
	u->nflows++;
	u->t->nflows++;
}

static void
table_remove(struct lb_udp *u, struct lb_udp_flow *f)
{
	struct lb_udp_flow **p = &u->buckets[f->hash & (u->nbuckets - 1)];

	while (*p != f)
		p = &(*p)->hnext;
	*p = f->hnext;
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		u->flows = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	u->nflows--;
	u->t->nflows--;
}

/* ---- a session's life ---- */

static struct lb_ctr *
vs_ctr(const struct lb_udp_flow *f)
{
	return &f->u->t->ctr_vs[f->l->vs->index];
}

/* The session's access-log line, when its virtual server logs: request
 * "UDP", the member, the replies' bytes, and term (HAProxy's
 * termination state: "--" all answered, "cD" idle, "SD" the member
 * refused or went down, "KD" the worker stopping). */
static void
flow_log(const struct lb_udp_flow *f, const char *term)
{
	struct lb_thread *t = f->u->t;
	const struct lb_rt_vs *vs = f->l->vs;
	struct sockaddr_storage ss = { 0 };
	char client[INET6_ADDRSTRLEN + 8], line[1024];
	struct lb_log_record r;
	size_t len;

	if (t->rt->logger == NULL || vs->conf->access_log[0] == '\0')
		return;
	memcpy(&ss, &f->client, f->clientlen);
	conf_fmt_sockaddr(client, sizeof(client), &ss);
	r = (struct lb_log_record){ .client = client, .vs = vs->conf->name,
	    .pool = f->pool->conf->name, .member = f->member->name,
	    .when = f->start, .t_request = 0, .t_queue = 0, .t_connect = 0,
	    .t_response = -1, .t_total = (int)((ev_now(t->loop) - f->start) *
	    1000 + 0.5), .status = -1, .bytes = f->bytes_out, .term = term,
	    .request = "UDP" };
	len = lb_log_format(&r, vs->conf->access_log_json, line, sizeof(line));
	lb_log_append(t->rt->logger, &t->logbufs[vs->index], vs->index, line,
	    len);
}

/* The one teardown: every path that ends a session comes here. */
static void
flow_end(struct lb_udp_flow *f, const char *why, const char *term)
{
	struct lb_thread *t = f->u->t;
	struct lb_member *m = f->member;

	log_debug("virtual-server %s: udp session closed: %s",
	    f->l->vs->conf->name, why);
	flow_log(f, term);
	table_remove(f->u, f);
	ev_io_stop(t->loop, &f->io);
	ev_timer_stop(t->loop, &f->idle);
	(void)close(f->io.fd);
	atomic_fetch_sub_explicit(&m->st->active, 1, memory_order_relaxed);
	CTR_ADD(t->ctr_member[m->index].cur, -1);
	CTR_ADD(t->ctr_pool[f->pool->index].cur, -1);
	CTR_ADD(vs_ctr(f)->cur, -1);
	CTR_ADD(vs_ctr(f)->resp[0], 1);
	CTR_ADD(t->ctr_pool[f->pool->index].resp[0], 1);
	atomic_fetch_sub_explicit(&f->l->vs->conns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&t->rt->conns, 1, memory_order_relaxed);
	free(f);
}

/* The member refused (its port unreachable) or the socket failed: the
 * member is told of it as a passive failure, and the session ends. */
static void
flow_failed(struct lb_udp_flow *f, int err)
{
	struct lb_member *m = f->member;

	CTR_ADD(f->u->t->ctr_member[m->index].errors, 1);
	atomic_fetch_add_explicit(&m->passive_fails, 1, memory_order_relaxed);
	log_debug("virtual-server %s: pool %s member %s: %s",
	    f->l->vs->conf->name, f->pool->conf->name, m->name,
	    strerror(err));
	flow_end(f, err == ECONNREFUSED ? "member refused" :
	    "member socket error", "SD");
}

static void
idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lb_udp_flow *f = w->data;
	ev_tstamp due = f->last + (f->u->t->draining ? LB_DRAIN_IDLE :
	    idle_timeout(f->u));

	(void)revents;
	if (ev_now(loop) < due) {	/* a datagram came meanwhile */
		w->repeat = due - ev_now(loop);
		ev_timer_again(loop, w);
		return;
	}
	flow_end(f, "idle", "cD");
}

static void member_read(struct ev_loop *loop, ev_io *w, int revents);

/* A socket connected to m of p, for the datagrams of the client at a
 * (from its address when p is transparent). */
static int
member_socket(struct lb_runtime *rt, const struct lb_rt_pool *p,
    const struct lb_member *m, const union lb_sockaddr *a)
{
	int fd = p->conf->transparent ?
	    lb_transparent_socket(rt, a, m, SOCK_DGRAM) :
	    socket(m->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (lb_bind_source(fd, p->conf) < 0 ||
	    connect(fd, (const struct sockaddr *)&m->addr, m->addrlen) < 0) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Whether one more session may be had: the worker's and the virtual
 * server's max-connections. */
static bool
room_for_one(const struct lb_listener *l)
{
	const struct lb_runtime *rt = l->thread->rt;
	uint64_t vsmax = l->vs->conf->max_connections;

	return atomic_load_explicit(&rt->conns, memory_order_relaxed) <
	    rt->max_connections && (vsmax == 0 || atomic_load_explicit(
	    &l->vs->conns, memory_order_relaxed) < vsmax);
}

static void
socket_failed(const struct lb_listener *l, const struct lb_rt_pool *p,
    const struct lb_member *m, int err)
{
	static _Atomic long last;

	if (lb_warn_due(&last, ev_now(l->thread->loop)))
		log_warn("virtual-server %s: pool %s member %s: udp socket: "
		    "%s; datagrams dropped", l->vs->conf->name,
		    p->conf->name, m->name, strerror(err));
}

static struct lb_member *
pick(struct lb_udp *u, struct lb_rt_pool *p, const union lb_sockaddr *a)
{
	const char *key = NULL;
	size_t keylen = 0;

	if (p->conf->algo == LB_ALGO_IP_HASH)
		lb_key_addr(&a->sa, &key, &keylen);
	return lb_pick(&u->t->bal[p->index], key, keylen, NULL, 0);
}

static void
count_new(struct lb_udp_flow *f)
{
	struct lb_thread *t = f->u->t;

	atomic_fetch_add_explicit(&f->member->st->active, 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&f->l->vs->conns, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->rt->conns, 1, memory_order_relaxed);
	CTR_ADD(t->ctr_member[f->member->index].cur, 1);
	CTR_ADD(t->ctr_member[f->member->index].total, 1);
	CTR_ADD(t->ctr_member[f->member->index].requests, 1);
	CTR_ADD(t->ctr_pool[f->pool->index].cur, 1);
	CTR_ADD(t->ctr_pool[f->pool->index].requests, 1);
	CTR_ADD(vs_ctr(f)->cur, 1);
	CTR_ADD(vs_ctr(f)->total, 1);
	CTR_ADD(vs_ctr(f)->requests, 1);
}

/* A session for the client at a (len bytes, hash h), or NULL: the
 * datagram is then dropped. */
static struct lb_udp_flow *
flow_new(struct lb_udp *u, struct lb_listener *l, const union lb_sockaddr *a,
    socklen_t len, const union lb_pktinfo *to, uint64_t h)
{
	struct lb_rt_pool *p = l->vs->pool;
	struct lb_member *m;
	struct lb_udp_flow *f;
	int fd;

	if (!room_for_one(l) || (m = pick(u, p, a)) == NULL)
		return NULL;
	if ((fd = member_socket(u->t->rt, p, m, a)) < 0) {
		socket_failed(l, p, m, errno);
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		(void)close(fd);
		return NULL;
	}
	*f = (struct lb_udp_flow){ .u = u, .l = l, .pool = p, .member = m,
	    .clientlen = len, .hash = h, .last = ev_now(u->t->loop),
	    .start = ev_now(u->t->loop), .local = *to };
	memcpy(&f->client, a, len);
	ev_io_init(&f->io, member_read, fd, EV_READ);
	f->io.data = f;
	ev_io_start(u->t->loop, &f->io);
	ev_init(&f->idle, idle_cb);
	f->idle.data = f;
	f->idle.repeat = idle_timeout(u);
	ev_timer_again(u->t->loop, &f->idle);
	table_add(u, f);
	count_new(f);
	return f;
}

/* The member of a session may no longer keep it: down by its monitor
 * (or passive checks), or disabled.  A drained one keeps its clients. */
static bool
member_gone(const struct lb_member *m)
{
	return !atomic_load_explicit(&m->up, memory_order_relaxed) ||
	    atomic_load_explicit(&m->admin, memory_order_relaxed) ==
	    LB_ADMIN_DISABLED;
}

/* ---- the client's datagrams ---- */

/* The address a datagram of a wildcard listener came to, from its
 * control message: false when it has none (it is then dropped). */
static bool
received_at(struct msghdr *h, union lb_pktinfo *to)
{
	memset(to, 0, sizeof(*to));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL;
	    c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&to->v4, CMSG_DATA(c), sizeof(to->v4));
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&to->v6, CMSG_DATA(c), sizeof(to->v6));
			return true;
		}
	}
	return false;
}

static bool send_run(struct lb_udp *u, struct lb_udp_flow *f, unsigned from,
    unsigned to);

/* The session of datagram i of the batch, or NULL: its client's, unless
 * its member went away (that session ends, after what the batch has for
 * it so far, run's datagrams [*from, i), went out). */
static struct lb_udp_flow *
flow_for(struct lb_udp *u, struct lb_listener *l, unsigned i,
    struct lb_udp_flow **run, unsigned *from)
{
	const union lb_sockaddr *a = &u->addrs[i];
	socklen_t len = u->msgs[i].msg_hdr.msg_namelen;
	union lb_pktinfo to;
	struct lb_udp_flow *f;
	uint64_t h;

	if ((u->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
	    len > sizeof(*a) || (a->sa.sa_family != AF_INET &&
	    a->sa.sa_family != AF_INET6) ||
	    (l->pktinfo && !received_at(&u->msgs[i].msg_hdr, &to)))
		return NULL;
	if (!l->pktinfo)
		memset(&to, 0, sizeof(to));
	h = addr_hash(l, a, &to);
	if ((f = flow_find(u, l, a, len, &to, h)) == NULL)
		return flow_new(u, l, a, len, &to, h);
	if (!member_gone(f->member))
		return f;
	if (*run == f) {
		*run = NULL;
		if (!send_run(u, f, *from, i))	/* it ended there */
			return flow_new(u, l, a, len, &to, h);
	}
	flow_end(f, "member down", "SD");
	return flow_new(u, l, a, len, &to, h);
}

/* Datagrams [from, to) of the batch, all f's, to its member at once:
 * false when f ended (its member refused). */
static bool
send_run(struct lb_udp *u, struct lb_udp_flow *f, unsigned from,
    unsigned to)
{
	struct mmsghdr out[UDP_BATCH];
	uint64_t bytes = 0;
	int n;

	for (unsigned i = from; i < to; i++) {
		out[i - from] = (struct mmsghdr){ .msg_hdr = {
		    .msg_iov = &u->iov[i], .msg_iovlen = 1 } };
		u->iov[i].iov_len = u->msgs[i].msg_len;
		bytes += u->msgs[i].msg_len;
	}
	f->last = ev_now(u->t->loop);
	f->datagrams += to - from;
	CTR_ADD(vs_ctr(f)->bytes_in, bytes);
	CTR_ADD(u->t->ctr_pool[f->pool->index].bytes_in, bytes);
	CTR_ADD(u->t->ctr_member[f->member->index].bytes_in, bytes);
	/* sendmmsg yields the CPU between datagrams (cond_resched): one
	 * alone goes with send */
	if (to - from == 1)
		n = send(f->io.fd, u->iov[from].iov_base, u->iov[from].iov_len,
		    0) < 0 ? -1 : 1;
	else
		n = sendmmsg(f->io.fd, out, to - from, 0);
	if (n < 0 && errno != EAGAIN && errno != ENOBUFS) {
		flow_failed(f, errno);
		return false;
	}
	if (n < (int)(to - from))	/* the rest: a full socket */
		CTR_ADD(vs_ctr(f)->errors, (uint64_t)(to - from) -
		    (uint64_t)(n < 0 ? 0 : n));
	return true;
}

/* The batch ready to read into; with pktinfo, each datagram's address
 * too. */
static void
reset_batch(struct lb_udp *u, bool pktinfo)
{
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		u->iov[i] = (struct iovec){ .iov_base = u->bufs[i],
		    .iov_len = UDP_DGRAM_MAX };
		u->msgs[i] = (struct mmsghdr){ .msg_hdr = {
		    .msg_name = &u->addrs[i], .msg_namelen = sizeof(u->addrs[i]),
		    .msg_iov = &u->iov[i], .msg_iovlen = 1,
		    .msg_control = pktinfo ? u->ctl[i].buf : NULL,
		    .msg_controllen = pktinfo ? sizeof(u->ctl[i].buf) : 0 } };
	}
}

/* One batch of a listener's datagrams; false when there were no more. */
static bool
client_batch(struct lb_udp *u, struct lb_listener *l)
{
	struct lb_ctr *c = &u->t->ctr_vs[l->vs->index];
	struct lb_udp_flow *f, *run = NULL;
	unsigned from = 0;
	int n;

	reset_batch(u, l->pktinfo);
	n = recvmmsg(l->fd, u->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return false;
	for (unsigned i = 0; i < (unsigned)n; i++) {
		f = flow_for(u, l, i, &run, &from);
		if (f != run && run != NULL)
			(void)send_run(u, run, from, i);
		if (f != run)
			from = i;
		run = f;
		if (f == NULL)
			CTR_ADD(c->errors, 1);	/* dropped */
	}
	if (run != NULL)
		(void)send_run(u, run, from, (unsigned)n);
	return n == UDP_BATCH;
}

void
lb_udp_read(struct lb_listener *l)
{
	struct lb_udp *u = l->thread->udp;

	/* a few batches, then the other events get their turn */
	for (int i = 0; i < 4 && client_batch(u, l); i++)
		;
}

/* ---- the member's replies ---- */

/* The control message that makes a reply leave from the address f's
 * client sent to: its length in c. */
static size_t
from_cmsg(const struct lb_udp_flow *f, union lb_pktinfo_cmsg *c)
{
	struct msghdr h = { .msg_control = c->buf,
	    .msg_controllen = sizeof(c->buf) };
	struct cmsghdr *m = CMSG_FIRSTHDR(&h);
	bool v4 = f->client.sa.sa_family == AF_INET;

	memset(c, 0, sizeof(*c));
	m->cmsg_level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
	m->cmsg_type = v4 ? IP_PKTINFO : IPV6_PKTINFO;
	m->cmsg_len = v4 ? CMSG_LEN(sizeof(struct in_pktinfo)) :
	    CMSG_LEN(sizeof(struct in6_pktinfo));
	if (v4) {
		struct in_pktinfo pi = { .ipi_spec_dst =
		    f->local.v4.ipi_addr };

		memcpy(CMSG_DATA(m), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	memcpy(CMSG_DATA(m), &f->local.v6, sizeof(f->local.v6));
	return CMSG_SPACE(sizeof(struct in6_pktinfo));
}

/* A batch of replies read on f's socket (n of them) to the client, from
 * the listener's socket; false once f ended. */
static bool
to_client(struct lb_udp_flow *f, int n)
{
	struct lb_udp *u = f->u;
	struct lb_thread *t = u->t;
	uint64_t bytes = 0;
	uint64_t limit = f->l->vs->profile->udp_responses;

	union lb_pktinfo_cmsg from;
	size_t fromlen = f->l->pktinfo ? from_cmsg(f, &from) : 0;

	for (int i = 0; i < n; i++) {
		u->msgs[i].msg_hdr.msg_name = &f->client;
		u->msgs[i].msg_hdr.msg_namelen = f->clientlen;
		u->msgs[i].msg_hdr.msg_control = fromlen ? from.buf : NULL;
		u->msgs[i].msg_hdr.msg_controllen = fromlen;
		u->iov[i].iov_len = u->msgs[i].msg_len;
		bytes += u->msgs[i].msg_len;
	}
	/* sendmmsg yields the CPU between datagrams: one alone goes with
	 * sendmsg */
	if ((n == 1 ? (sendmsg(f->l->fd, &u->msgs[0].msg_hdr, 0) < 0 ? 0 : 1) :
	    sendmmsg(f->l->fd, u->msgs, (unsigned)n, 0)) < n)
		CTR_ADD(vs_ctr(f)->errors, 1);
	f->bytes_out += bytes;
	CTR_ADD(vs_ctr(f)->bytes_out, bytes);
	CTR_ADD(t->ctr_pool[f->pool->index].bytes_out, bytes);
	CTR_ADD(t->ctr_member[f->member->index].bytes_out, bytes);
	f->last = ev_now(t->loop);
	f->replies += (uint64_t)n;
	/* each datagram of the client answered as often as the profile
	 * says: a resolver may have several queries out on one port */
	if (limit > 0 && f->replies >= limit * f->datagrams) {
		flow_end(f, "udp-responses reached", "--");
		return false;
	}
	return true;
}

static void
member_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lb_udp_flow *f = w->data;
	struct lb_udp *u = f->u;
	int n;

	(void)loop;
	(void)revents;
	for (int round = 0; round < 4; round++) {
		/* the member's address lands in addrs[], unused:
		 * to_client names the client */
		reset_batch(u, false);
		n = recvmmsg(w->fd, u->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			flow_failed(f, errno);
			return;
		}
		if (n <= 0 || !to_client(f, n) || n < UDP_BATCH)
			return;
	}
}

/* ---- the thread's sessions ---- */

int
lb_udp_thread_init(struct lb_thread *t)
{
	struct lb_udp *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return -1;
	u->t = t;
	u->nbuckets = UDP_BUCKETS_MIN;
	u->buckets = calloc(u->nbuckets, sizeof(*u->buckets));
	u->bufs = malloc(UDP_BATCH * sizeof(*u->bufs));
	if (u->buckets == NULL || u->bufs == NULL) {
		free(u->buckets);
		free(u->bufs);
		free(u);
		return -1;
	}
	t->udp = u;
	return 0;
}

bool
lb_udp_listener_setup(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    !addr_wildcard(&ss))
		return false;
	if (ss.ss_family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
		    sizeof(one)) == 0;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
	    sizeof(one)) == 0;
}

void
lb_udp_drain(struct lb_thread *t)
{
	struct lb_udp *u = t->udp;

	if (u == NULL)
		return;
	/* each session ends after LB_DRAIN_IDLE without a datagram: a
	 * reply on its way still gets through */
	for (struct lb_udp_flow *f = u->flows; f != NULL; f = f->next) {
		f->idle.repeat = LB_DRAIN_IDLE;
		ev_timer_again(t->loop, &f->idle);
	}
}

void
lb_udp_thread_done(struct lb_thread *t)
{
	struct lb_udp *u = t->udp;

	if (u == NULL)
		return;
	while (u->flows != NULL)
		flow_end(u->flows, "stopping", "KD");
	free(u->buckets);
	free(u->bufs);
	free(u);
	t->udp = NULL;
}
