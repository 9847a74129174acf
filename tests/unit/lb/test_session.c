/*
 * tests/unit/lb/test_session.c - a client connection's life in the load
 * balancer (keep-alive, retries, 100-continue, timeouts, aborts), seen
 * from outside: one event-loop thread of a real runtime, built from a
 * real configuration, with the test as both the client and the members
 * over loopback sockets.  Only lb_runtime.h is used, so that the data
 * path's files may be reshaped under the test; what is checked is what
 * each side gets on the wire, and the counters of lb_stats.
 *
 * Both sides are scripted with blocking sockets.  Every wait is a poll()
 * bounded by WAIT_MS, far more than any step takes, so a slow machine
 * (valgrind) only makes the test slower: nothing asserts on time.  A
 * case that needs a timeout to fire sets that one to SHORT_TMO; the
 * others are LONG_TMO, which no case comes near.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "lb.h"
#include "lb_runtime.h"

#define WAIT_MS		10000
#define SHORT_TMO	"300ms"
#define LONG_TMO	"60s"
#define NMEMBERS	2

/* The timeout a case shortens (lb_start). */
enum tmo {
	T_CONNECT,
	T_CLIENT,
	T_SERVER,
	T_REQUEST,
	T_KEEPALIVE,
	T_NONE,
};

struct fx {
	int member[NMEMBERS];		/* the members' listening sockets */
	unsigned short mport[NMEMBERS];
	int listen_fd;			/* the virtual server's; the runtime's
					 * once the thread runs */
	unsigned short lport;
	struct edged_conf *conf;
	struct lb_runtime *rt;
	pthread_t thread;
	bool handed;			/* listen_fd went to the runtime */
	bool running;			/* the thread is to be joined */
	int thread_rc;
};

/* One end of a connection, with what was read and not yet taken. */
struct peer {
	int fd;
	size_t len;
	char buf[16384];
};

/* A request or response taken from a peer. */
struct msg {
	char head[4096];		/* NUL-terminated */
	int status;			/* a response's; 0 for a request */
	size_t clen;			/* Content-Length, 0 without */
	char body[2048];		/* NUL-terminated */
};

#define GET(path)	"GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"

/* lb_stats JSON: where each object's figures start */
#define VS	"\"virtual_servers\":["
#define POOL	"\"pools\":["
#define M0	"\"name\":\"m0\""
#define M1	"\"name\":\"m1\""

/* ---- sockets ---- */

static int
listen_on(unsigned short *port, int flags)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
connect_to(unsigned short port, int flags)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	    .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	    errno != EINPROGRESS)
		fail_msg("connect to port %u: %s", port, strerror(errno));
	return fd;
}

/* Whether fd has events within ms (0: already). */
static bool
ready(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, ms);
	} while (n < 0 && errno == EINTR);
	assert_true(n >= 0);
	return n > 0;
}

static int
accept_member(struct fx *f, size_t i)
{
	int fd;

	if (!ready(f->member[i], POLLIN, WAIT_MS))
		fail_msg("member m%zu: no connection came", i);
	fd = accept4(f->member[i], NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* The first connection to either member; *which says whose. */
static int
accept_either(struct fx *f, size_t *which)
{
	struct pollfd p[NMEMBERS];

	for (size_t i = 0; i < NMEMBERS; i++)
		p[i] = (struct pollfd){ .fd = f->member[i], .events = POLLIN };
	if (poll(p, NMEMBERS, WAIT_MS) <= 0)
		fail_msg("no member got a connection");
	*which = (p[0].revents & POLLIN) ? 0 : 1;
	return accept_member(f, *which);
}

static void
send_all(int fd, const char *s)
{
	size_t len = strlen(s);

	assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
send_ok(int fd, const char *body)
{
	char rsp[512];
	int n = snprintf(rsp, sizeof(rsp), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);

	assert_true(n > 0 && (size_t)n < sizeof(rsp));
	send_all(fd, rsp);
}

/* ---- reading messages ---- */

/* One read into p, after waiting for it: the bytes read, 0 at EOF. */
static size_t
fill(struct peer *p)
{
	ssize_t n;

	if (!ready(p->fd, POLLIN, WAIT_MS))
		fail_msg("nothing came within %d ms", WAIT_MS);
	assert_true(p->len < sizeof(p->buf) - 1);
	n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len, 0);
	if (n < 0)
		fail_msg("recv: %s", strerror(errno));
	p->len += (size_t)n;
	return (size_t)n;
}

/* Removes the first n bytes of p's buffer into out (NUL-terminated). */
static void
take(struct peer *p, size_t n, char *out, size_t size)
{
	assert_true(n < size);
	memcpy(out, p->buf, n);
	out[n] = '\0';
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
}

static size_t
header_num(const char *head, const char *name)
{
	const char *at = strcasestr(head, name);

	return at == NULL ? 0 : strtoul(at + strlen(name), NULL, 10);
}

static void
read_head(struct peer *p, struct msg *m)
{
	const char *end;

	for (;;) {
		p->buf[p->len] = '\0';
		if ((end = strstr(p->buf, "\r\n\r\n")) != NULL)
			break;
		if (fill(p) == 0)
			fail_msg("EOF before a whole head (had %zu bytes)",
			    p->len);
	}
	take(p, (size_t)(end + 4 - p->buf), m->head, sizeof(m->head));
	m->status = strncmp(m->head, "HTTP/1.", 7) == 0 ?
	    atoi(m->head + 9) : 0;
	m->clen = header_num(m->head, "\r\nContent-Length:");
	m->body[0] = '\0';
}

static void
read_body(struct peer *p, struct msg *m, size_t n)
{
	while (p->len < n)
		if (fill(p) == 0)
			fail_msg("EOF with %zu of %zu body bytes", p->len, n);
	take(p, n, m->body, sizeof(m->body));
}

/* A whole message: the test's members always send a Content-Length,
 * and so does edged when it answers itself. */
static void
read_msg(struct peer *p, struct msg *m)
{
	read_head(p, m);
	if (m->status >= 200 || m->status == 0)
		read_body(p, m, m->clen);
}

/* The peer closed cleanly (a FIN, no reset) with nothing more sent. */
static void
expect_eof(struct peer *p)
{
	assert_int_equal(p->len, 0);
	assert_int_equal(fill(p), 0);
}

static void
expect_request(struct peer *p, struct msg *m, const char *line)
{
	read_msg(p, m);
	if (strncmp(m->head, line, strlen(line)) != 0)
		fail_msg("expected \"%s\", got \"%.60s\"", line, m->head);
}

static void
expect_response(struct peer *p, struct msg *m, int status, const char *body)
{
	read_msg(p, m);
	if (m->status != status)
		fail_msg("expected %d, got \"%.60s\"", status, m->head);
	if (body != NULL)
		assert_string_equal(m->body, body);
}

/* ---- the runtime ---- */

/* The figure "key" of the object whose JSON starts at "where". */
static unsigned long long
stat_of(struct fx *f, const char *where, const char *key)
{
	char pat[64];
	size_t len;
	char *s = lb_stats(f->rt, true, &len);
	const char *at;
	unsigned long long v;

	assert_non_null(s);
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((at = strstr(s, where)) == NULL || (at = strstr(at, pat)) == NULL)
		fail_msg("no %s after %s in %s", pat, where, s);
	v = strtoull(at + strlen(pat), NULL, 10);
	free(s);
	return v;
}

static void *
lb_main(void *arg)
{
	struct fx *f = arg;

	f->thread_rc = lb_thread_run(f->rt, 0, &f->listen_fd);
	return NULL;
}

static void
load_conf(struct fx *f, size_t nmembers, enum tmo shortened)
{
	const char *t[T_NONE];
	char members[256], text[1024];
	size_t off = 0;
	struct conf_diag d;
	int n;

	for (int i = 0; i < T_NONE; i++)
		t[i] = i == (int)shortened ? SHORT_TMO : LONG_TMO;
	members[0] = '\0';
	for (size_t i = 0; i < nmembers; i++)
		off += (size_t)snprintf(members + off, sizeof(members) - off,
		    "member m%zu 127.0.0.1:%u; ", i, f->mport[i]);
	n = snprintf(text, sizeof(text),
	    "defaults { timeout connect %s; timeout client %s; "
	    "timeout server %s; timeout http-request %s; "
	    "timeout keep-alive %s; }\n"
	    "application-profile web { type http; }\n"
	    "pool p { %s}\n"
	    "virtual-server v { listen 127.0.0.1:%u; profile web; "
	    "default-pool p; }\n", t[T_CONNECT], t[T_CLIENT], t[T_SERVER],
	    t[T_REQUEST], t[T_KEEPALIVE], members, f->lport);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	conf_diag_init(&d);
	f->conf = edged_conf_load("test", text, (size_t)n, &d);
	conf_diag_print(&d, stderr);
	conf_diag_free(&d);
	assert_non_null(f->conf);
}

/* A runtime on the first nmembers members, every timeout LONG_TMO but
 * shortened (SHORT_TMO), and its one thread running. */
static void
lb_start(struct fx *f, size_t nmembers, enum tmo shortened)
{
	load_conf(f, nmembers, shortened);
	f->rt = lb_runtime_new(f->conf->parts[EDGED_LB], 1, 1024, NULL, 0);
	assert_non_null(f->rt);
	/* no lb_runtime_tls: plain HTTP needs none (lb_runtime.h), and
	 * connecting to a member must not ask it for a context */
	assert_int_equal(pthread_create(&f->thread, NULL, lb_main, f), 0);
	f->handed = f->running = true;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	for (size_t i = 0; i < NMEMBERS; i++)
		f->member[i] = listen_on(&f->mport[i], 0);
	/* non-blocking, as the daemon's are: the thread accepts until
	 * EAGAIN */
	f->listen_fd = listen_on(&f->lport, SOCK_NONBLOCK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->running) {
		lb_runtime_stop(f->rt);
		assert_int_equal(pthread_join(f->thread, NULL), 0);
		assert_int_equal(f->thread_rc, 0);
	}
	if (!f->handed)
		(void)close(f->listen_fd);
	lb_runtime_free(&f->rt);
	edged_conf_free(&f->conf);
	for (size_t i = 0; i < NMEMBERS; i++)
		(void)close(f->member[i]);
	free(f);
	return 0;
}

/* ---- keep-alive and reuse ---- */

/*
 * http-reuse safe: a client's first request opens a connection of its
 * own, its later ones take the idle one; another client's first request
 * opens another.
 */
static void
test_keepalive_reuse(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, c2 = { 0 }, a = { 0 }, b = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	send_ok(a.fd, "one");
	expect_response(&c, &m, 200, "one");

	/* the same connection, and no new one */
	send_all(c.fd, GET("/2"));
	expect_request(&a, &m, "GET /2 HTTP/1.1\r\n");
	assert_false(ready(f->member[0], POLLIN, 0));
	send_ok(a.fd, "two");
	expect_response(&c, &m, 200, "two");

	/* a new one, though the first is idle */
	c2.fd = connect_to(f->lport, 0);
	send_all(c2.fd, GET("/3"));
	b.fd = accept_member(f, 0);
	expect_request(&b, &m, "GET /3 HTTP/1.1\r\n");
	assert_int_equal(a.len, 0);
	assert_false(ready(a.fd, POLLIN, 0));
	send_ok(b.fd, "three");
	expect_response(&c2, &m, 200, "three");

	assert_int_equal(stat_of(f, VS, "requests"), 3);
	assert_int_equal(stat_of(f, VS, "2xx"), 3);
	assert_int_equal(stat_of(f, M0, "requests"), 3);
	assert_int_equal(stat_of(f, M0, "total"), 2);	/* connections */
	close(c.fd);
	close(c2.fd);
	close(a.fd);
	close(b.fd);
}

/*
 * The member closes its idle connection just as the client's second
 * request goes out on it (it read it, and never answers): a fresh
 * connection to the same member carries the request again, and the
 * member is not blamed.
 */
static void
test_reused_conn_closed(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 }, b = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	send_ok(a.fd, "one");
	expect_response(&c, &m, 200, "one");

	send_all(c.fd, GET("/2"));
	expect_request(&a, &m, "GET /2 HTTP/1.1\r\n");
	close(a.fd);
	b.fd = accept_member(f, 0);
	expect_request(&b, &m, "GET /2 HTTP/1.1\r\n");
	send_ok(b.fd, "two");
	expect_response(&c, &m, 200, "two");

	assert_int_equal(stat_of(f, VS, "2xx"), 2);
	assert_int_equal(stat_of(f, VS, "5xx"), 0);
	assert_int_equal(stat_of(f, M0, "requests"), 2);
	assert_int_equal(stat_of(f, M0, "total"), 2);
	assert_int_equal(stat_of(f, M0, "errors"), 0);
	close(c.fd);
	close(b.fd);
}

/*
 * The member closes the connection right after its answer: whether edged
 * saw the close while the connection was idle, or only when the next
 * request went out on it, the next request is answered from a new one.
 */
static void
test_idle_conn_closed(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 }, b = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	send_ok(a.fd, "one");
	close(a.fd);
	expect_response(&c, &m, 200, "one");

	send_all(c.fd, GET("/2"));
	b.fd = accept_member(f, 0);
	expect_request(&b, &m, "GET /2 HTTP/1.1\r\n");
	send_ok(b.fd, "two");
	expect_response(&c, &m, 200, "two");

	assert_int_equal(stat_of(f, VS, "2xx"), 2);
	assert_int_equal(stat_of(f, M0, "errors"), 0);
	close(c.fd);
	close(b.fd);
}

/*
 * A member that closes a fresh connection without answering a POST it
 * read: it may have acted on it, so the POST is not sent again (502),
 * where a GET would have gone to the other member.
 */
static void
test_post_not_resent(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;
	size_t which;

	lb_start(f, 2, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "POST /once HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 4\r\n\r\nbody");
	a.fd = accept_either(f, &which);
	expect_request(&a, &m, "POST /once HTTP/1.1\r\n");
	assert_string_equal(m.body, "body");
	close(a.fd);
	expect_response(&c, &m, 502, NULL);
	expect_eof(&c);

	assert_false(ready(f->member[1 - which], POLLIN, 0));
	assert_int_equal(stat_of(f, VS, "5xx"), 1);
	assert_int_equal(stat_of(f, which == 0 ? M0 : M1, "errors"), 1);
	close(c.fd);
}

/* Two requests in one write: both reach the member in order, on one
 * connection, and the answers come back in order. */
static void
test_pipelined(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1") GET("/2"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	send_ok(a.fd, "one");
	expect_request(&a, &m, "GET /2 HTTP/1.1\r\n");
	send_ok(a.fd, "two");
	expect_response(&c, &m, 200, "one");
	expect_response(&c, &m, 200, "two");

	assert_false(ready(f->member[0], POLLIN, 0));
	assert_int_equal(stat_of(f, VS, "2xx"), 2);
	assert_int_equal(stat_of(f, M0, "total"), 1);
	close(c.fd);
	close(a.fd);
}

/* A client that sends its request and closes its side (shutdown) still
 * gets the answer, then the close. */
static void
test_client_half_close(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1"));
	assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	send_ok(a.fd, "one");
	expect_response(&c, &m, 200, "one");
	expect_eof(&c);

	assert_int_equal(stat_of(f, VS, "2xx"), 1);
	close(c.fd);
	close(a.fd);
}

/*
 * lb_runtime_drain with a request in flight: it is answered, the client
 * connection closes (at once with Connection: close, or after the short
 * idle grace if the answer went out before the drain was seen), and
 * lb_thread_run returns by itself, closing its idle member connection.
 */
static void
test_drain(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;
	struct timespec until;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	lb_runtime_drain(f->rt);
	send_ok(a.fd, "one");
	expect_response(&c, &m, 200, "one");
	expect_eof(&c);

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &until), 0);
	until.tv_sec += WAIT_MS / 1000;
	assert_int_equal(pthread_timedjoin_np(f->thread, NULL, &until), 0);
	f->running = false;
	assert_int_equal(f->thread_rc, 0);
	expect_eof(&a);
	close(c.fd);
	close(a.fd);
}

/* ---- a request body ---- */

/* Expect: 100-continue goes to the member, its 100 to the client, the
 * body after it, then the final answer. */
static void
test_100_continue(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "POST /up HTTP/1.1\r\nHost: t\r\n"
	    "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n");
	a.fd = accept_member(f, 0);
	read_head(&a, &m);
	assert_int_equal(strncmp(m.head, "POST /up HTTP/1.1\r\n", 19), 0);
	assert_non_null(strcasestr(m.head, "\r\nExpect: 100-continue\r\n"));
	assert_int_equal(m.clen, 5);
	send_all(a.fd, "HTTP/1.1 100 Continue\r\n\r\n");
	expect_response(&c, &m, 100, NULL);
	assert_int_equal(c.len, 0);

	send_all(c.fd, "hello");
	read_body(&a, &m, 5);
	assert_string_equal(m.body, "hello");
	send_ok(a.fd, "got it");
	expect_response(&c, &m, 200, "got it");

	/* an interim response is no class of its own */
	assert_int_equal(stat_of(f, VS, "1xx"), 0);
	assert_int_equal(stat_of(f, VS, "2xx"), 1);
	close(c.fd);
	close(a.fd);
}

/*
 * The client goes away in the middle of its body: the member's
 * connection is closed after the part that came (nothing is made up to
 * fill it), and the thread serves the next client.
 */
static void
test_client_aborts_body(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, c2 = { 0 }, a = { 0 }, b = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "POST /up HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 1000\r\n\r\n0123456789");
	a.fd = accept_member(f, 0);
	read_head(&a, &m);
	assert_int_equal(m.clen, 1000);
	read_body(&a, &m, 10);
	assert_string_equal(m.body, "0123456789");
	close(c.fd);
	expect_eof(&a);

	c2.fd = connect_to(f->lport, 0);
	send_all(c2.fd, GET("/after"));
	b.fd = accept_member(f, 0);
	expect_request(&b, &m, "GET /after HTTP/1.1\r\n");
	send_ok(b.fd, "fine");
	expect_response(&c2, &m, 200, "fine");

	assert_int_equal(stat_of(f, VS, "requests"), 2);
	assert_int_equal(stat_of(f, VS, "other"), 1);
	assert_int_equal(stat_of(f, VS, "2xx"), 1);
	assert_int_equal(stat_of(f, M0, "errors"), 0);
	close(c2.fd);
	close(a.fd);
	close(b.fd);
}

/* ---- timeouts ---- */

/* timeout http-request: a head never finished gets 408, then a close;
 * no member hears of it. */
static void
test_timeout_request_head(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 };
	struct msg m;

	lb_start(f, 1, T_REQUEST);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "GET / HTTP/1.1\r\nHost: t\r\n");
	expect_response(&c, &m, 408, NULL);
	assert_non_null(strcasestr(m.head, "\r\nConnection: close\r\n"));
	expect_eof(&c);

	assert_false(ready(f->member[0], POLLIN, 0));
	assert_int_equal(stat_of(f, VS, "requests"), 1);
	assert_int_equal(stat_of(f, VS, "4xx"), 1);
	assert_int_equal(stat_of(f, POOL, "requests"), 0);
	close(c.fd);
}

/* timeout keep-alive: an idle client connection is closed without a
 * word (no 408: it had no request under way). */
static void
test_timeout_keepalive(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;

	lb_start(f, 1, T_KEEPALIVE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/1"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /1 HTTP/1.1\r\n");
	send_ok(a.fd, "one");
	expect_response(&c, &m, 200, "one");
	assert_null(strcasestr(m.head, "\r\nConnection: close\r\n"));
	expect_eof(&c);

	assert_int_equal(stat_of(f, VS, "requests"), 1);
	assert_int_equal(stat_of(f, VS, "4xx"), 0);
	close(c.fd);
	close(a.fd);
}

/*
 * timeout server: a member that takes a GET and never answers.  The GET
 * is idempotent and none of it is lost, so it goes to the other member
 * (edged closes the first connection); when that one is silent too and
 * no member is left untried, the client gets 504.  Each member counts
 * one error.
 */
static void
test_timeout_server(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, first = { 0 }, second = { 0 };
	struct msg m;
	size_t which;

	lb_start(f, 2, T_SERVER);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/slow"));
	first.fd = accept_either(f, &which);
	expect_request(&first, &m, "GET /slow HTTP/1.1\r\n");
	second.fd = accept_member(f, 1 - which);
	expect_request(&second, &m, "GET /slow HTTP/1.1\r\n");
	expect_eof(&first);
	expect_response(&c, &m, 504, NULL);
	expect_eof(&c);
	expect_eof(&second);

	assert_false(ready(f->member[which], POLLIN, 0));
	assert_int_equal(stat_of(f, VS, "5xx"), 1);
	assert_int_equal(stat_of(f, M0, "errors"), 1);
	assert_int_equal(stat_of(f, M1, "errors"), 1);
	close(c.fd);
	close(first.fd);
	close(second.fd);
}

/*
 * timeout client while the client uploads: the member has every byte
 * that came and waits for the rest, so the client is at fault: 408,
 * the member's connection closed, and no error counted against it.
 */
static void
test_timeout_client_upload(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;

	lb_start(f, 1, T_CLIENT);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "POST /up HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 100\r\n\r\n0123456789");
	a.fd = accept_member(f, 0);
	read_head(&a, &m);
	read_body(&a, &m, 10);
	expect_response(&c, &m, 408, NULL);
	expect_eof(&c);
	expect_eof(&a);

	assert_int_equal(stat_of(f, VS, "4xx"), 1);
	assert_int_equal(stat_of(f, M0, "errors"), 0);
	close(c.fd);
	close(a.fd);
}

/*
 * timeout server once the response began: nothing can be answered
 * any more, so the client gets what came (the head, part of the body)
 * and then the close; the member counts an error.
 */
static void
test_timeout_server_body(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;

	lb_start(f, 1, T_SERVER);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/part"));
	a.fd = accept_member(f, 0);
	expect_request(&a, &m, "GET /part HTTP/1.1\r\n");
	send_all(a.fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
	read_head(&c, &m);
	assert_int_equal(m.status, 200);
	assert_int_equal(m.clen, 10);
	read_body(&c, &m, 3);
	assert_string_equal(m.body, "abc");
	expect_eof(&c);
	expect_eof(&a);

	assert_int_equal(stat_of(f, VS, "2xx"), 1);
	assert_int_equal(stat_of(f, M0, "errors"), 1);
	close(c.fd);
	close(a.fd);
}

/*
 * timeout server on a POST whose body went out: the member may have
 * acted on it, so it is never sent again; 504 from the first member, and
 * the other never hears of it.
 */
static void
test_timeout_server_post(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 }, a = { 0 };
	struct msg m;
	size_t which;

	lb_start(f, 2, T_SERVER);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "POST /once HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 4\r\n\r\nbody");
	a.fd = accept_either(f, &which);
	expect_request(&a, &m, "POST /once HTTP/1.1\r\n");
	assert_string_equal(m.body, "body");
	expect_response(&c, &m, 504, NULL);
	expect_eof(&c);
	expect_eof(&a);

	assert_false(ready(f->member[1 - which], POLLIN, 0));
	assert_int_equal(stat_of(f, VS, "5xx"), 1);
	assert_int_equal(stat_of(f, which == 0 ? M0 : M1, "errors"), 1);
	assert_int_equal(stat_of(f, which == 0 ? M1 : M0, "requests"), 0);
	close(c.fd);
	close(a.fd);
}

/*
 * timeout connect: a member whose SYNs go unanswered.  On loopback a
 * listener with a full accept queue is one: Linux drops the SYN rather
 * than refuse it (unless net.ipv4.tcp_abort_on_overflow is set, which
 * the probe notices, and the case is skipped).  A backlog of 0 holds one
 * connection: the filler.  With one member there is none to retry on:
 * 503.
 */
static void
test_timeout_connect(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 };
	struct msg m;
	int filler, probe;

	assert_int_equal(listen(f->member[0], 0), 0);
	filler = connect_to(f->mport[0], 0);
	probe = connect_to(f->mport[0], SOCK_NONBLOCK);
	if (ready(probe, POLLOUT, 300)) {
		close(probe);
		close(filler);
		skip();
	}
	close(probe);

	lb_start(f, 1, T_CONNECT);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, GET("/"));
	expect_response(&c, &m, 503, NULL);
	expect_eof(&c);

	assert_int_equal(stat_of(f, VS, "5xx"), 1);
	assert_int_equal(stat_of(f, M0, "errors"), 1);
	close(c.fd);
	close(filler);
}

/* ---- requests edged answers itself ---- */

/* A malformed request line: 400 and a close, no member involved. */
static void
test_bad_request_line(void **state)
{
	struct fx *f = *state;
	struct peer c = { 0 };
	struct msg m;

	lb_start(f, 1, T_NONE);
	c.fd = connect_to(f->lport, 0);
	send_all(c.fd, "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_response(&c, &m, 400, NULL);
	expect_eof(&c);

	assert_false(ready(f->member[0], POLLIN, 0));
	assert_int_equal(stat_of(f, VS, "4xx"), 1);
	assert_int_equal(stat_of(f, POOL, "requests"), 0);
	close(c.fd);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_keepalive_reuse),
		T(test_reused_conn_closed),
		T(test_idle_conn_closed),
		T(test_post_not_resent),
		T(test_pipelined),
		T(test_client_half_close),
		T(test_drain),
		T(test_100_continue),
		T(test_client_aborts_body),
		T(test_timeout_request_head),
		T(test_timeout_keepalive),
		T(test_timeout_client_upload),
		T(test_timeout_server),
		T(test_timeout_server_body),
		T(test_timeout_server_post),
		T(test_timeout_connect),
		T(test_bad_request_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
