/*
 * fw/fw_fetch.c - HTTP(S) GETs on libcurl's multi interface, driven by
 * the master's libev loop (fw_fetch.h).
 *
 * libcurl says which sockets it waits on (sock_cb: an ev_io each) and
 * when it next needs the time (timer_cb: one ev_timer); the loop tells
 * it back what happened (curl_multi_socket_action), and the GETs that
 * ended are collected after each such call (finished).  Name lookups
 * run in libcurl's resolver threads, so nothing here blocks.
 *
 * A feed is fetched with what an operator expects of a careful client:
 * only http and https (redirects, at most 5, to https only when the feed
 * is https; none when the feed sends a header, a secret, that a
 * redirect could carry to another host), the certificate and the host
 * name verified (against the feed's own CA file alone when it names
 * one), a size limit checked as the body arrives, an overall timeout,
 * compression accepted.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fw_fetch.h"

#define CONNECT_TIMEOUT_MS	10000
#define REDIRECTS_MAX		5

struct fw_fetcher {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;			/* libcurl's timeout */
	struct fw_fetch *running;
	struct sock *socks;		/* watched */
};

/* a socket libcurl waits on */
struct sock {
	ev_io io;
	struct fw_fetcher *f;
	curl_socket_t fd;
	struct sock *next, **prev;
};

struct fw_fetch {
	struct fw_fetcher *f;
	CURL *easy;
	struct curl_slist *headers;
	fw_fetch_done_fn *done;
	void *arg;
	struct fw_fetch_res res;
	size_t cap, max;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	struct fw_fetch *next, **prev;
};

static void finished(struct fw_fetcher *f);

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sock *k = w->data;
	struct fw_fetcher *f = k->f;	/* k may go in socket_action */
	int flags = ((revents & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0), running;

	(void)loop;
	(void)curl_multi_socket_action(f->multi, k->fd, flags, &running);
	finished(f);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct fw_fetcher *f = t->data;
	int running;

	(void)loop;
	(void)revents;
	(void)curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	finished(f);
}

static void
sock_free(struct fw_fetcher *f, struct sock *k)
{
	ev_io_stop(f->loop, &k->io);
	*k->prev = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	free(k);
}

/* CURLMOPT_SOCKETFUNCTION: what libcurl waits for on s */
static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct fw_fetcher *f = userp;
	struct sock *k = socketp;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (k != NULL)
			sock_free(f, k);
		return 0;
	}
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return -1;
		k->f = f;
		k->fd = s;
		ev_init(&k->io, io_cb);
		k->io.data = k;
		k->next = f->socks;
		if (k->next != NULL)
			k->next->prev = &k->next;
		k->prev = &f->socks;
		f->socks = k;
		(void)curl_multi_assign(f->multi, s, k);
	}
	ev_io_stop(f->loop, &k->io);
	ev_io_set(&k->io, s, ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
	ev_io_start(f->loop, &k->io);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants the time after ms (-1: never) */
static int
timer_cb(CURLM *m, long ms, void *userp)
{
	struct fw_fetcher *f = userp;

	(void)m;
	ev_timer_stop(f->loop, &f->timer);
	if (ms >= 0) {
		ev_timer_set(&f->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(f->loop, &f->timer);
	}
	return 0;
}

struct fw_fetcher *
fw_fetcher_new(struct ev_loop *loop)
{
	struct fw_fetcher *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->loop = loop;
	ev_init(&f->timer, timeout_cb);
	f->timer.data = f;
	return f;
}

/* libcurl started for f, at its first GET: 0, or -1 */
static int
start_curl(struct fw_fetcher *f)
{
	if (f->multi != NULL)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	if ((f->multi = curl_multi_init()) == NULL) {
		curl_global_cleanup();
		return -1;
	}
	(void)curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	(void)curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	(void)curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	(void)curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return 0;
}

/* x out of the multi handle and the list, and freed (not its body) */
static void
release(struct fw_fetch *x)
{
	(void)curl_multi_remove_handle(x->f->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	if (x->prev != NULL) {
		*x->prev = x->next;
		if (x->next != NULL)
			x->next->prev = x->prev;
	}
	free(x);
}

void
fw_fetch_cancel(struct fw_fetch *x)
{
	if (x == NULL)
		return;
	free(x->res.body);
	release(x);
}

void
fw_fetcher_free(struct fw_fetcher *f)
{
	if (f == NULL)
		return;
	if (f->multi == NULL) {		/* never started */
		free(f);
		return;
	}
	while (f->running != NULL)
		fw_fetch_cancel(f->running);
	(void)curl_multi_cleanup(f->multi);
	/* what libcurl's closing of its kept connections may have started
	 * or left */
	ev_timer_stop(f->loop, &f->timer);
	while (f->socks != NULL)
		sock_free(f, f->socks);
	curl_global_cleanup();
	free(f);
}

/* CURLOPT_WRITEFUNCTION: the body as it comes, up to max bytes */
static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct fw_fetch *x = arg;
	size_t len = size * n, want = x->res.len + len + 1;

	if (x->res.len + len > x->max) {
		x->too_big = true;
		return 0;		/* libcurl ends the GET */
	}
	if (want > x->cap) {
		size_t cap = x->cap > 0 ? x->cap : 64 * 1024;
		char *p;

		while (cap < want)
			cap *= 2;
		if ((p = realloc(x->res.body, cap)) == NULL)
			return 0;
		x->res.body = p;
		x->cap = cap;
	}
	memcpy(x->res.body + x->res.len, data, len);
	x->res.len += len;
	x->res.body[x->res.len] = '\0';
	return len;
}

/* "Name: value\r\n": value into out (size bytes) when the line is name's
 * and the value fits; else out left */
static void
header_value(const char *line, size_t len, const char *name, char *out,
    size_t size)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	    line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len > 0 && len < size) {
		memcpy(out, line, len);
		out[len] = '\0';
	}
}

/* CURLOPT_HEADERFUNCTION: the validators of the last answer (a redirect
 * starts another) */
static size_t
header_cb(char *line, size_t size, size_t n, void *arg)
{
	struct fw_fetch *x = arg;
	size_t len = size * n;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		x->res.etag[0] = '\0';
		x->res.last_modified[0] = '\0';
	}
	header_value(line, len, "ETag", x->res.etag, sizeof(x->res.etag));
	header_value(line, len, "Last-Modified", x->res.last_modified,
	    sizeof(x->res.last_modified));
	return len;
}

/* x's request headers: the feed's own, and the validators */
static int
add_headers(struct fw_fetch *x, const struct fw_fetch_req *q)
{
	char h[FW_FETCH_ETAG_MAX + 32];
	struct curl_slist *l;

	if (q->header != NULL && q->header[0] != '\0') {
		if ((l = curl_slist_append(x->headers, q->header)) == NULL)
			return -1;
		x->headers = l;
	}
	if (q->etag != NULL && q->etag[0] != '\0') {
		snprintf(h, sizeof(h), "If-None-Match: %s", q->etag);
		if ((l = curl_slist_append(x->headers, h)) == NULL)
			return -1;
		x->headers = l;
	}
	if (q->last_modified != NULL && q->last_modified[0] != '\0') {
		snprintf(h, sizeof(h), "If-Modified-Since: %s",
		    q->last_modified);
		if ((l = curl_slist_append(x->headers, h)) == NULL)
			return -1;
		x->headers = l;
	}
	return 0;
}

/* the easy handle's options; a CURLcode */
static CURLcode
set_options(struct fw_fetch *x, const struct fw_fetch_req *q)
{
	CURL *e = x->easy;
	bool https = strncmp(q->url, "https:", 6) == 0;
	long t = (long)q->timeout_ms;
	CURLcode r = CURLE_OK;

#define SET(opt, v)	do { if (r == CURLE_OK) \
	r = curl_easy_setopt(e, opt, v); } while (0)
	SET(CURLOPT_URL, q->url);
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_TIMEOUT_MS, t);
	SET(CURLOPT_CONNECTTIMEOUT_MS, t < CONNECT_TIMEOUT_MS ? t :
	    (long)CONNECT_TIMEOUT_MS);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* not with a header of the feed's own: libcurl keeps only
	 * Authorization and Cookie from other hosts, not an API key's */
	SET(CURLOPT_FOLLOWLOCATION, q->header == NULL || q->header[0] == '\0' ?
	    1L : 0L);
	SET(CURLOPT_MAXREDIRS, (long)REDIRECTS_MAX);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)q->max_bytes);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, "edged");
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (q->ca != NULL && q->ca[0] != '\0') {
		SET(CURLOPT_CAINFO, q->ca);
		SET(CURLOPT_CAPATH, NULL);	/* that file's CAs alone */
	}
	if (x->headers != NULL)
		SET(CURLOPT_HTTPHEADER, x->headers);
#undef SET
	return r;
}

struct fw_fetch *
fw_fetch_start(struct fw_fetcher *f, const struct fw_fetch_req *q,
    fw_fetch_done_fn *done, void *arg, char *err, size_t errsize)
{
	struct fw_fetch *x;
	CURLcode r;
	CURLMcode mr;

	if (start_curl(f) < 0) {
		snprintf(err, errsize, "libcurl could not start");
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL || (x->easy = curl_easy_init()) == NULL ||
	    add_headers(x, q) < 0) {
		snprintf(err, errsize, "out of memory");
		if (x != NULL) {
			curl_easy_cleanup(x->easy);
			curl_slist_free_all(x->headers);
		}
		free(x);
		return NULL;
	}
	x->f = f;
	x->done = done;
	x->arg = arg;
	x->max = q->max_bytes;
	if ((r = set_options(x, q)) != CURLE_OK ||
	    (mr = curl_multi_add_handle(f->multi, x->easy)) != CURLM_OK) {
		snprintf(err, errsize, "libcurl: %s", r != CURLE_OK ?
		    curl_easy_strerror(r) : curl_multi_strerror(mr));
		release(x);
		return NULL;
	}
	x->next = f->running;
	if (x->next != NULL)
		x->next->prev = &x->next;
	x->prev = &f->running;
	f->running = x;
	return x;
}

/* x ended with libcurl's code: its result told, x gone */
static void
complete(struct fw_fetch *x, CURLcode code)
{
	struct fw_fetch_res *res = &x->res;
	long status = 0;

	(void)curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code == CURLE_OK && (status == 200 || status == 304))
		res->status = status;
	else if (code == CURLE_OK)
		snprintf(res->error, sizeof(res->error), "the server answered "
		    "HTTP %ld", status);
	else if (x->too_big || code == CURLE_FILESIZE_EXCEEDED)
		snprintf(res->error, sizeof(res->error), "the answer is over "
		    "%zu bytes", x->max);
	else
		snprintf(res->error, sizeof(res->error), "%s",
		    x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(code));
	if (res->status != 200) {
		free(res->body);
		res->body = NULL;
		res->len = 0;
	} else if (res->body == NULL && (res->body = calloc(1, 1)) == NULL) {
		res->status = 0;
		snprintf(res->error, sizeof(res->error), "out of memory");
	}
	x->done(x->arg, res);
	release(x);
}

/* the GETs that ended, told */
static void
finished(struct fw_fetcher *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct fw_fetch *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x != NULL)
			complete(x, m->data.result);
	}
}
