/*
 * fw/fw_worker.c - the firewall in the worker process (module.h): the
 * counters block the master fills (fw_stats.h), mapped read-only, and
 * the metrics written from it.  The worker runs unprivileged and cannot
 * ask nftables itself: before each scrape it asks the master for fresh
 * figures, and waits for them at most FW_WAIT_MS (a master busy applying
 * a table), else shows the older ones, whose age the metrics give.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fw_module.h"
#include "fw_stats.h"
#include "fw_worker.h"
#include "log.h"

#define FW_WAIT_MS	250

struct fw_worker {
	const struct fw_conf *conf;
	const struct edged_channel *master;
	struct fw_stats view;		/* hdr NULL: no block */
	size_t len;
	char *feeds;			/* the feeds' metrics, as the master
					 * wrote them */
};

void *
fw_worker_new(const void *part, const struct edged_worker_env *env)
{
	struct fw_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->conf = part;
	w->master = env->master;
	return w;
}

/* FW_MSG_STATS: the block; the metrics go without it when it cannot be
 * mapped.  FW_MSG_FEEDS: the feeds' metrics, kept. */
int
fw_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd)
{
	struct fw_worker *w = ws;
	void *p;

	(void)started;
	if (type == FW_MSG_FEEDS && fd < 0) {
		(void)edged_state_take(&w->feeds, data, len);
		return 0;
	}
	if (type != FW_MSG_STATS || fd < 0 || w->view.hdr != NULL) {
		log_err("unexpected firewall message %u from master", type);
		if (fd >= 0)
			(void)close(fd);
		return 0;
	}
	p = mmap(NULL, arg, PROT_READ, MAP_SHARED, fd, 0);
	(void)close(fd);
	if (p == MAP_FAILED || fw_stats_attach(&w->view, p, arg,
	    w->conf) < 0) {
		log_warn("the firewall's counters block is not usable; the "
		    "metrics go without it");
		if (p != MAP_FAILED)
			(void)munmap(p, arg);
		w->view.hdr = NULL;
		return 0;
	}
	w->len = arg;
	return 0;
}

/* Asks the master to refresh the block and waits until it has, or
 * FW_WAIT_MS: older figures then. */
static void
refresh(const struct fw_worker *w)
{
	uint64_t seq = atomic_load_explicit(&w->view.hdr->seq,
	    memory_order_acquire);
	const struct timespec ms = { 0, 1000000 };

	if (w->master->send(w->master, FW_MSG_REFRESH, 0, NULL, 0, -1) < 0)
		return;
	for (int i = 0; i < FW_WAIT_MS; i++) {
		if (atomic_load_explicit(&w->view.hdr->seq,
		    memory_order_acquire) != seq)
			return;
		(void)nanosleep(&ms, NULL);
	}
}

int
fw_worker_metrics(void *ws, FILE *out)
{
	struct fw_worker *w = ws;

	if (w->feeds != NULL)
		fputs(w->feeds, out);
	if (w->view.hdr == NULL)
		return 0;
	refresh(w);
	fw_metrics(out, w->conf, &w->view, fw_stats_clock_ms());
	return 0;
}

void
fw_worker_free(void *ws)
{
	struct fw_worker *w = ws;

	if (w == NULL)
		return;
	if (w->view.hdr != NULL)
		(void)munmap(w->view.hdr, w->len);
	free(w->feeds);
	free(w);
}
