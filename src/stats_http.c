/*
 * src/stats_http.c - see stats_http.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "modules.h"
#include "stats_http.h"
#include "text.h"

#define HEAD_MAX	4096

/* Reads the request head (to the empty line) within a second. */
static ssize_t
read_head(int c, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			return -1;
		n = recv(c, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			return n < 0 && errno == EAGAIN ? 0 : -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return (ssize_t)len;
	}
	return -1;
}

static void
reply(int c, int status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-cache\r\nConnection: close\r\n\r\n", status,
	    status == 200 ? "OK" : status == 404 ? "Not Found" :
	    status == 405 ? "Method Not Allowed" : "Bad Request", type, len);

	if (io_write_all(c, head, (size_t)n))
		(void)io_write_all(c, body, len);
}

/* The path of "GET PATH HTTP/1.x", cut at '?'. */
static bool
path_is(const char *head, const char *path)
{
	size_t n = strlen(path);

	return strncmp(head + 4, path, n) == 0 &&
	    (head[4 + n] == ' ' || head[4 + n] == '?');
}

/* Every module's metrics families (module.h's metrics), in the table's
 * order; NULL out of memory. */
static char *
metrics(const struct stats_modules *sm, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);
	char *buf;
	bool bad = false;

	if (f == NULL)
		return NULL;
	for (size_t i = 0; !bad && i < EDGED_NMODULES; i++)
		if (sm->mods[i] != NULL && edged_modules[i]->metrics != NULL)
			bad = edged_modules[i]->metrics(sm->mods[i], f) < 0;
	buf = text_close(&t, len);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The first module's statistics as JSON that has them. */
static char *
stats_json(const struct stats_modules *sm, size_t *len)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (sm->mods[i] != NULL && edged_modules[i]->stats_json != NULL)
			return edged_modules[i]->stats_json(sm->mods[i], len);
	*len = 2;
	return strdup("{}");
}

static void
answer(const struct stats_modules *sm, int c, const char *head)
{
	static const char prom[] = "text/plain; version=0.0.4; "
	    "charset=utf-8";
	char *body = NULL;
	size_t len = 0;

	if (strncmp(head, "GET ", 4) != 0) {
		reply(c, 405, "text/plain", "GET only\n", 9);
		return;
	}
	if (path_is(head, "/metrics"))
		body = metrics(sm, &len);
	else if (path_is(head, "/stats"))
		body = stats_json(sm, &len);
	else {
		reply(c, 404, "text/plain", "try /metrics or /stats\n", 23);
		return;
	}
	if (body == NULL)
		reply(c, 500, "text/plain", "out of memory\n", 14);
	else
		reply(c, 200, path_is(head, "/stats") ? "application/json" :
		    prom, body, len);
	free(body);
}

void
stats_serve(const struct stats_modules *sm, int fd)
{
	struct timeval tv = { 1, 0 };
	char head[HEAD_MAX];
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	(void)setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_head(c, head, sizeof(head)) > 0)
		answer(sm, c, head);
	(void)close(c);
}
