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

#include "fw_module.h"
#include "io.h"
#include "ipc.h"
#include "lb_runtime.h"
#include "modules.h"
#include "stats_http.h"

#define HEAD_MAX	4096
#define FW_WAIT_MS	250

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

/* Asks the master to refresh the block and waits until it has, or
 * FW_WAIT_MS (a master busy applying a table): older figures then. */
static void
fw_refresh(const struct stats_fw *fw)
{
	uint64_t seq = atomic_load_explicit(&fw->view.hdr->seq,
	    memory_order_acquire);
	const struct timespec ms = { 0, 1000000 };

	if (ipc_send(fw->ipc, IPC_MODULE, IPC_MODULE_ARG(EDGED_FW,
	    FW_MSG_REFRESH), 0, NULL, 0, -1) < 0)
		return;
	for (int i = 0; i < FW_WAIT_MS; i++) {
		if (atomic_load_explicit(&fw->view.hdr->seq,
		    memory_order_acquire) != seq)
			return;
		(void)nanosleep(&ms, NULL);
	}
}

/* body (the load balancer's metrics, len bytes) with the firewall's
 * after it; body itself when there are none (or out of memory). */
static char *
with_fw(char *body, size_t *len, const struct stats_fw *fw)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	if (fw == NULL || fw->view.hdr == NULL || body == NULL)
		return body;
	fw_refresh(fw);
	if ((f = open_memstream(&buf, &n)) == NULL)
		return body;
	fwrite(body, 1, *len, f);
	fw_metrics(f, fw->conf, &fw->view, fw_stats_clock_ms());
	if (fclose(f) != 0) {
		free(buf);
		return body;
	}
	free(body);
	*len = n;
	return buf;
}

static void
answer(struct lb_runtime *rt, const struct stats_fw *fw, int c,
    const char *head)
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
		body = with_fw(lb_metrics(rt, &len), &len, fw);
	else if (path_is(head, "/stats"))
		body = lb_stats(rt, true, &len);
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
stats_serve(struct lb_runtime *rt, const struct stats_fw *fw, int fd)
{
	struct timeval tv = { 1, 0 };
	char head[HEAD_MAX];
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	(void)setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_head(c, head, sizeof(head)) > 0)
		answer(rt, fw, c, head);
	(void)close(c);
}
