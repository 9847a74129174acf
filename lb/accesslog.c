/*
 * lb/accesslog.c - see accesslog.h.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "clock.h"
#include "io.h"
#include "log.h"

#define CHUNK_SIZE	16384
#define QUEUE_MAX	256		/* chunks waiting: 4 MiB */
#define WARN_EVERY	10		/* s between two warnings of failed writes */

struct lb_log_chunk {
	struct lb_log_chunk *next;
	size_t vs;
	size_t len;
	char data[CHUNK_SIZE];
};

struct lb_logger {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct lb_log_chunk *head, *tail;
	unsigned queued;
	bool stop;
	bool started;			/* the thread runs: join it */
	size_t nvs;
	int *fds;			/* [nvs]: a file, or a syslog socket */
	bool *syslog;
	const char *const *names;	/* [nvs]: the destinations, for messages */
	_Atomic uint64_t dropped;
	/* the logger thread's own: failed writes, warned about at most
	 * once per WARN_EVERY seconds */
	bool *torn;			/* [nvs]: a line was cut by a failure */
	uint64_t failed;		/* lines lost since the last warning */
	time_t warned;			/* CLOCK_MONOTONIC s of that warning */
	bool failing;			/* the last write failed */
};

/* ---- formatting ---- */

/* Copies s into out, escaping what would break a quoted string. */
static size_t
escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return n;
}

/* What a TLS virtual server adds: ` tls=VERSION/CIPHER/SNI` (text), or
 * `,"tls":{...}` (JSON); "" for others.  SNI is a DNS name OpenSSL
 * checked; escaped all the same. */
static void
format_tls(const struct lb_log_record *r, bool json, char *out,
    size_t size)
{
	char sni[300];

	out[0] = '\0';
	if (r->tls_version == NULL)
		return;
	escape(sni, sizeof(sni), r->sni);
	if (json)
		snprintf(out, size, ",\"tls\":{\"version\":\"%s\",\"cipher\":"
		    "\"%s\",\"sni\":\"%s\",\"resumed\":%s}", r->tls_version,
		    r->tls_cipher, sni, r->tls_resumed ? "true" : "false");
	else
		snprintf(out, size, " tls=%s/%s/%s%s", r->tls_version,
		    r->tls_cipher, sni[0] ? sni : "-", r->tls_resumed ?
		    "/resumed" : "");
}

size_t
lb_log_format(const struct lb_log_record *r, bool json, char *buf,
    size_t size)
{
	char date[64], req[1024], tls[512];
	time_t sec = (time_t)r->when;
	int ms = (int)((r->when - (double)sec) * 1000);
	struct tm tm;
	int n;

	gmtime_r(&sec, &tm);
	escape(req, sizeof(req), r->request);
	format_tls(r, json, tls, sizeof(tls));
	if (json) {
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(buf, size, "{\"time\":\"%s.%03dZ\",\"client\":"
		    "\"%s\",\"virtual_server\":\"%s\",\"pool\":\"%s\","
		    "\"member\":\"%s\",\"timers\":{\"request\":%d,\"queue\":%d,"
		    "\"connect\":%d,\"response\":%d,\"total\":%d},\"status\":%d,"
		    "\"bytes\":%llu,\"termination\":\"%s\",\"request\":\"%s\"%s}"
		    "\n", date, ms, r->client, r->vs, r->pool, r->member,
		    r->t_request, r->t_queue, r->t_connect, r->t_response,
		    r->t_total, r->status, (unsigned long long)r->bytes, r->term,
		    req, tls);
	} else {
		strftime(date, sizeof(date), "%d/%b/%Y:%H:%M:%S", &tm);
		n = snprintf(buf, size, "%s [%s.%03d] %s %s/%s %d/%d/%d/%d/%d "
		    "%d %llu %s \"%s\"%s\n", r->client, date, ms, r->vs, r->pool,
		    r->member, r->t_request, r->t_queue, r->t_connect,
		    r->t_response, r->t_total, r->status,
		    (unsigned long long)r->bytes, r->term, req, tls);
	}
	if (n < 0)
		return 0;
	if ((size_t)n >= size) {
		buf[size - 2] = '\n';
		return size - 1;
	}
	return (size_t)n;
}

/* ---- the logger thread ---- */

static uint64_t
count_lines(const char *p, size_t len)
{
	uint64_t n = 0;

	for (const char *end = p + len; (p = memchr(p, '\n',
	    (size_t)(end - p))) != NULL; p++)
		n++;
	return n;
}

/*
 * n lines of virtual server vs that could not be written (err: errno).
 * A full disk or a syslog daemon gone must not flood edged's own log:
 * one warning, then one every WARN_EVERY seconds with the count.
 * Serving goes on; the lines are counted as dropped.
 */
static void
write_failed(struct lb_logger *l, size_t vs, int err, uint64_t n)
{
	time_t now = (time_t)(clock_ms() / 1000);

	atomic_fetch_add(&l->dropped, n);
	l->failed += n;
	if (l->failing && now - l->warned < WARN_EVERY)
		return;
	log_warn("access log %s: cannot write: %s; %llu line%s dropped "
	    "(serving goes on; warned again every %d s while it lasts)",
	    l->names[vs], strerror(err), (unsigned long long)l->failed,
	    l->failed == 1 ? "" : "s", WARN_EVERY);
	l->failing = true;
	l->warned = now;
	l->failed = 0;
}

static void
write_ok(struct lb_logger *l, size_t vs)
{
	if (!l->failing)
		return;
	log_info("access log %s: writing again (%llu more line%s dropped "
	    "since the last warning)", l->names[vs],
	    (unsigned long long)l->failed, l->failed == 1 ? "" : "s");
	l->failing = false;
	l->failed = 0;
}

/* One datagram per line, as syslog(3) would send it (local0.info). */
static void
send_syslog(struct lb_logger *l, const struct lb_log_chunk *c)
{
	const char *p = c->data, *end = c->data + c->len;
	char msg[2048];
	uint64_t lost = 0;
	int err = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int n = snprintf(msg, sizeof(msg), "<134>edged[%d]: %.*s",
		    (int)getpid(), (int)len, p);

		if (l->fds[c->vs] < 0 || n < 0 || send(l->fds[c->vs], msg,
		    (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
		    MSG_NOSIGNAL) < 0) {
			err = l->fds[c->vs] < 0 ? ENOTCONN : errno;
			lost++;
		}
		p += len + 1;
	}
	if (lost > 0)
		write_failed(l, c->vs, err, lost);
	else
		write_ok(l, c->vs);
}

/* To a file, whole lines: after a write cut short (a full disk), the
 * next write that succeeds ends the cut line first, so the file never
 * holds two records on one line. */
static void
write_file(struct lb_logger *l, const struct lb_log_chunk *c)
{
	int fd = l->fds[c->vs];
	const char *p = c->data;
	size_t left = c->len;

	if (l->torn[c->vs]) {
		if (!io_write_all(fd, "\n", 1)) {
			write_failed(l, c->vs, errno, count_lines(p, left));
			return;
		}
		l->torn[c->vs] = false;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n == 0 ? ENOSPC : errno;

			l->torn[c->vs] = p > c->data && p[-1] != '\n';
			/* the cut line's newline is in what is left */
			write_failed(l, c->vs, err, count_lines(p, left));
			return;
		}
		p += n;
		left -= (size_t)n;
	}
	write_ok(l, c->vs);
}

static void
deliver(struct lb_logger *l, struct lb_log_chunk *c)
{
	if (l->syslog[c->vs])
		send_syslog(l, c);
	else if (l->fds[c->vs] >= 0)
		write_file(l, c);
	free(c);
}

static struct lb_log_chunk *
pop(struct lb_logger *l)
{
	struct lb_log_chunk *c;

	pthread_mutex_lock(&l->lock);
	while (l->head == NULL && !l->stop)
		pthread_cond_wait(&l->wake, &l->lock);
	c = l->head;
	if (c != NULL) {
		l->head = c->next;
		if (l->head == NULL)
			l->tail = NULL;
		l->queued--;
	}
	pthread_mutex_unlock(&l->lock);
	return c;
}

static void *
logger_main(void *arg)
{
	struct lb_logger *l = arg;
	struct lb_log_chunk *c;

	while ((c = pop(l)) != NULL)
		deliver(l, c);
	return NULL;
}

static int
open_syslog(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("access log: cannot reach syslog at %s: %s; its lines "
		    "are dropped", path, strerror(errno));
		(void)close(fd);
		fd = -1;
	}
	return fd;
}

struct lb_logger *
lb_logger_new(size_t nvs, const int *fds, const char *const *syslog,
    const char *const *names)
{
	struct lb_logger *l = calloc(1, sizeof(*l));
	bool any = false;
	sigset_t all, old;

	if (l == NULL)
		goto close_fds;
	l->names = names;
	l->fds = malloc((nvs ? nvs : 1) * sizeof(int));
	l->syslog = calloc(nvs ? nvs : 1, sizeof(bool));
	l->torn = calloc(nvs ? nvs : 1, sizeof(bool));
	if (l->fds == NULL || l->syslog == NULL || l->torn == NULL) {
		/* l->nvs is 0: lb_logger_free closes none of l->fds, which
		 * were never set */
		lb_logger_free(&l);
		goto close_fds;
	}
	l->nvs = nvs;
	for (size_t i = 0; i < nvs; i++) {
		l->syslog[i] = syslog[i] != NULL;
		l->fds[i] = syslog[i] ? open_syslog(syslog[i]) : fds[i];
		any = any || fds[i] >= 0 || syslog[i];
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	l->started = any && pthread_create(&l->thread, NULL, logger_main,
	    l) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!l->started)
		lb_logger_free(&l);
	return l;

close_fds:
	/* the files were the logger's from the call on */
	for (size_t i = 0; i < nvs; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
	return NULL;
}

void
lb_logger_free(struct lb_logger **lp)
{
	struct lb_logger *l = *lp;

	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->lock);
		l->stop = true;
		pthread_cond_signal(&l->wake);
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
	}
	for (size_t i = 0; l->fds != NULL && i < l->nvs; i++)
		if (l->fds[i] >= 0)
			(void)close(l->fds[i]);
	free(l->fds);
	free(l->syslog);
	free(l->torn);
	free(l);
	*lp = NULL;
}

/* ---- the event threads' side ---- */

static void
hand_off(struct lb_logger *l, struct lb_log_chunk *c)
{
	bool dropped = false;

	pthread_mutex_lock(&l->lock);
	if (l->queued >= QUEUE_MAX) {
		dropped = true;
	} else {
		c->next = NULL;
		if (l->tail != NULL)
			l->tail->next = c;
		else
			l->head = c;
		l->tail = c;
		l->queued++;
		pthread_cond_signal(&l->wake);
	}
	pthread_mutex_unlock(&l->lock);
	if (dropped) {
		for (size_t i = 0; i < c->len; i++)
			if (c->data[i] == '\n')
				atomic_fetch_add(&l->dropped, 1);
		free(c);
	}
}

void
lb_log_flush(struct lb_logger *l, struct lb_log_buf *b)
{
	if (b->chunk == NULL || b->chunk->len == 0)
		return;
	hand_off(l, b->chunk);
	b->chunk = NULL;
}

void
lb_log_append(struct lb_logger *l, struct lb_log_buf *b, size_t vs,
    const char *line, size_t len)
{
	if (b->chunk != NULL && b->chunk->len + len > CHUNK_SIZE)
		lb_log_flush(l, b);
	if (b->chunk == NULL) {
		if ((b->chunk = malloc(sizeof(*b->chunk))) == NULL) {
			atomic_fetch_add(&l->dropped, 1);
			return;
		}
		b->chunk->vs = vs;
		b->chunk->len = 0;
	}
	memcpy(b->chunk->data + b->chunk->len, line, len);
	b->chunk->len += len;
}

uint64_t
lb_log_dropped(const struct lb_logger *l)
{
	return l != NULL ? atomic_load(&l->dropped) : 0;
}
