/*
 * src/worker.c - the worker process: the whole data path, unprivileged.
 *
 * The master starts it already running as the configured user.  It
 * reads the configuration text and its listening sockets from the master
 * (ipc.h), parses the text again in its own memory, runs one event-loop
 * thread per `workers`, and answers the master's statistics and drain
 * requests from its main thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fw_module.h"
#include "ipc.h"
#include "lb_runtime.h"
#include "log.h"
#include "member.h"
#include "stats_http.h"
#include "tls_ctx.h"
#include "worker.h"

struct worker_thread {
	pthread_t tid;
	struct lb_runtime *rt;
	unsigned id;
	int *fds;
	atomic_bool *done;
};

struct worker {
	int ipc;
	struct edged_conf *conf;
	const struct lb_conf *lb;	/* conf's */
	struct lb_runtime *rt;
	unsigned nthreads;
	size_t nlisteners;
	int *fds;			/* [thread][listener] */
	int stats_fd;			/* -1: no stats listener */
	int *log_fds;			/* [nvservers]: access-log files */
	void *shm;			/* the master's state block */
	size_t shm_len;
	struct stats_fw fw;		/* the firewall's counters, for the
					 * metrics: mapped read-only */
	size_t fw_len;
	struct lb_tls_blob *tls;	/* [lb->tls_nfiles]: the files
					 * the master read, until the
					 * contexts are built */
	unsigned char tickets[LB_TICKET_KEYS * LB_TICKET_KEY];
	size_t ntickets;
	struct worker_thread *threads;
	atomic_bool *done;
	struct ipc_msg msg;
};

static int
fail(struct worker *w, const char *why)
{
	log_err("%s", why);
	(void)ipc_send(w->ipc, IPC_FAILED, 0, 0, why, strlen(why), -1);
	return -1;
}

/* CONFIG_DATA... CONFIG_END: the text, parsed here again. */
static int
read_config(struct worker *w)
{
	char *text = NULL;
	size_t len = 0;
	struct conf_diag d;

	for (;;) {
		if (ipc_recv(w->ipc, &w->msg) <= 0)
			return fail(w, "lost the master while reading config");
		if (w->msg.hdr.type == IPC_CONFIG_END)
			break;
		char *p = realloc(text, len + w->msg.hdr.len + 1);
		if (p == NULL)
			return fail(w, "out of memory");
		text = p;
		memcpy(text + len, w->msg.data, w->msg.hdr.len);
		len += w->msg.hdr.len;
	}
	conf_diag_init(&d);
	w->conf = edged_conf_load("(from master)", text ? text : "", len, &d);
	if (w->conf == NULL)
		log_conf_diag(&d);
	else
		w->lb = edged_lb(w->conf);
	conf_diag_free(&d);
	free(text);
	return w->conf ? 0 : fail(w, "configuration from master rejected");
}

/* SHM: the block the master laid out for our counters and member
 * state; it maps it too, and reads it after we are gone. */
static int
read_shm(struct worker *w)
{
	void *p;

	if (ipc_recv(w->ipc, &w->msg) <= 0)
		return fail(w, "lost the master while reading the state block");
	if (w->msg.hdr.type != IPC_SHM || w->msg.fd < 0)
		return fail(w, "the master sent no state block");
	p = mmap(NULL, w->msg.hdr.arg0, PROT_READ | PROT_WRITE, MAP_SHARED,
	    w->msg.fd, 0);
	(void)close(w->msg.fd);
	if (p == MAP_FAILED)
		return fail(w, "cannot map the state block");
	w->shm = p;
	w->shm_len = w->msg.hdr.arg0;
	return 0;
}

/* A MEMBER message: an edgectl change, or a carried-over health. */
static void
apply_member(struct worker *w)
{
	char *pool, *member;

	if (ipc_member(&w->msg, &pool, &member) < 0) {
		log_err("bad member message from master");
		return;
	}
	if (lb_runtime_member_set(w->rt, pool, member, w->msg.hdr.arg0,
	    w->msg.hdr.arg1) < 0)
		log_warn("pool %s member %s: no such member here", pool,
		    member);
}

/* A piece of a TLS file (TLS_FILE_DATA), or its end. */
static int
add_tls_file(struct worker *w)
{
	uint32_t slot = w->msg.hdr.arg0;
	struct lb_tls_blob *b;
	char *p;

	if (slot >= w->lb->tls_nfiles)
		return fail(w, "bad TLS file message from master");
	b = &w->tls[slot];
	if (w->msg.hdr.type == IPC_TLS_FILE_END)
		return b->data != NULL ? 0 : fail(w, "empty TLS file");
	if ((p = malloc(b->len + w->msg.hdr.len + 1)) == NULL)
		return fail(w, "out of memory");
	/* copied, not realloc'd: no key byte is left behind unwiped */
	if (b->data != NULL)
		memcpy(p, b->data, b->len);
	memcpy(p + b->len, w->msg.data, w->msg.hdr.len);
	p[b->len + w->msg.hdr.len] = '\0';
	b->len += w->msg.hdr.len;
	explicit_bzero(w->msg.data, w->msg.hdr.len);
	if (b->data != NULL)
		explicit_bzero(b->data, b->len - w->msg.hdr.len);
	free(b->data);
	b->data = p;
	return 0;
}

static void
set_tickets(struct worker *w)
{
	size_t n = w->msg.hdr.arg0;

	if (n == 0 || n > LB_TICKET_KEYS || w->msg.hdr.len !=
	    n * LB_TICKET_KEY) {
		log_err("bad ticket keys from master");
		return;
	}
	memcpy(w->tickets, w->msg.data, w->msg.hdr.len);
	explicit_bzero(w->msg.data, w->msg.hdr.len);
	w->ntickets = n;
	if (w->rt != NULL)
		lb_runtime_ticket_keys(w->rt, w->tickets, n);
}

/* The firewall's FW_MSG_STATS: its counters block, which the master fills; the
 * metrics go without them when it cannot be mapped. */
static void
map_fw_stats(struct worker *w)
{
	size_t len = w->msg.hdr.arg1;
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, w->msg.fd, 0);

	(void)close(w->msg.fd);
	if (p == MAP_FAILED || fw_stats_attach(&w->fw.view, p, len,
	    edged_fw(w->conf)) < 0) {
		log_warn("the firewall's counters block is not usable; the "
		    "metrics go without it");
		if (p != MAP_FAILED)
			(void)munmap(p, len);
		return;
	}
	w->fw.ipc = w->ipc;
	w->fw.conf = edged_fw(w->conf);
	w->fw_len = len;
}

/* The messages between the state block and START: sockets (one per
 * listener per thread), TLS files, ticket keys, edgectl changes. */
static int
read_listeners(struct worker *w)
{
	size_t n;

	w->nlisteners = lb_conf_nlisteners(w->lb);
	n = w->nthreads * w->nlisteners;
	if ((w->fds = malloc((n ? n : 1) * sizeof(int))) == NULL)
		return fail(w, "out of memory");
	for (size_t i = 0; i < n; i++)
		w->fds[i] = -1;
	for (;;) {
		if (ipc_recv(w->ipc, &w->msg) <= 0)
			return fail(w, "lost the master while reading sockets");
		if (w->msg.hdr.type == IPC_START)
			break;
		if (w->msg.hdr.type == IPC_MEMBER) {
			/* the edgectl changes in force, before traffic */
			apply_member(w);
			continue;
		}
		if (w->msg.hdr.type == IPC_TLS_FILE_DATA ||
		    w->msg.hdr.type == IPC_TLS_FILE_END) {
			if (add_tls_file(w) < 0)
				return -1;
			continue;
		}
		if (w->msg.hdr.type == IPC_TICKET_KEYS) {
			set_tickets(w);
			continue;
		}
		if (w->msg.hdr.type == IPC_MODULE &&
		    w->msg.hdr.arg0 == IPC_MODULE_ARG(EDGED_FW, FW_MSG_STATS) &&
		    w->msg.fd >= 0) {
			map_fw_stats(w);
			continue;
		}
		if (w->msg.hdr.type == IPC_STATS_LISTENER && w->msg.fd >= 0) {
			w->stats_fd = w->msg.fd;
			continue;
		}
		if (w->msg.hdr.type == IPC_LOG_FD && w->msg.fd >= 0 &&
		    w->msg.hdr.arg0 < w->lb->nvservers) {
			w->log_fds[w->msg.hdr.arg0] = w->msg.fd;
			continue;
		}
		if (w->msg.hdr.type != IPC_LISTENER || w->msg.fd < 0 ||
		    w->msg.hdr.arg0 >= w->nlisteners ||
		    w->msg.hdr.arg1 >= w->nthreads)
			return fail(w, "bad listener message from master");
		w->fds[w->msg.hdr.arg1 * w->nlisteners + w->msg.hdr.arg0] =
		    w->msg.fd;
	}
	for (size_t i = 0; i < n; i++)
		if (w->fds[i] < 0)
			return fail(w, "master sent too few sockets");
	return 0;
}

static void
wipe_tls_files(struct worker *w)
{
	for (size_t i = 0; w->tls != NULL && i < w->lb->tls_nfiles; i++)
		lb_tls_blob_wipe(&w->tls[i]);
	free(w->tls);
	w->tls = NULL;
}

/* The TLS contexts, from the files as the master read them; the key
 * bytes are wiped at once. */
static int
build_tls(struct worker *w)
{
	int rc;

	for (size_t i = 0; i < w->lb->tls_nfiles; i++)
		if (w->tls[i].data == NULL) {
			wipe_tls_files(w);
			return fail(w, "master sent too few TLS files");
		}
	rc = lb_runtime_tls(w->rt, w->tls, w->lb->tls_nfiles);
	wipe_tls_files(w);
	if (rc < 0)
		return fail(w, "cannot build the TLS contexts");
	lb_runtime_ticket_keys(w->rt, w->tickets, w->ntickets);
	return 0;
}

static void *
thread_main(void *arg)
{
	struct worker_thread *wt = arg;

	if (lb_thread_run(wt->rt, wt->id, wt->fds) < 0)
		log_err("thread %u: could not start", wt->id);
	atomic_store(wt->done, true);
	return NULL;
}

static int
build_runtime(struct worker *w)
{
	w->nthreads = edged_conf_threads(w->conf);
	w->rt = lb_runtime_new(w->lb, w->nthreads,
	    w->conf->core.max_connections, w->shm, w->shm_len);
	w->log_fds = malloc((w->lb->nvservers + 1) * sizeof(int));
	w->tls = calloc(w->lb->tls_nfiles + 1, sizeof(*w->tls));
	if (w->rt == NULL || w->log_fds == NULL || w->tls == NULL)
		return fail(w, "cannot build the runtime");
	for (size_t i = 0; i < w->lb->nvservers; i++)
		w->log_fds[i] = -1;
	return 0;
}

static int
start_threads(struct worker *w)
{
	sigset_t all, old;

	w->threads = calloc(w->nthreads, sizeof(*w->threads));
	w->done = calloc(w->nthreads, sizeof(*w->done));
	if (w->threads == NULL || w->done == NULL)
		return fail(w, "out of memory");
	/* signals are the main thread's business */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < w->nthreads; i++) {
		struct worker_thread *wt = &w->threads[i];

		*wt = (struct worker_thread){ .rt = w->rt, .id = i,
		    .fds = w->fds + i * w->nlisteners, .done = &w->done[i] };
		if (pthread_create(&wt->tid, NULL, thread_main, wt) != 0)
			return fail(w, "cannot create threads");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

static bool
all_done(const struct worker *w)
{
	for (unsigned i = 0; i < w->nthreads; i++)
		if (!atomic_load(&w->done[i]))
			return false;
	return true;
}

static void
answer_stats(struct worker *w)
{
	size_t len = 0;
	char *text;

	if (w->msg.hdr.type == IPC_SHOW_POOL) {
		text = lb_show_pool(w->rt, w->msg.data, w->msg.hdr.arg1 != 0,
		    &len);
	} else {
		text = lb_stats(w->rt, w->msg.hdr.arg1 != 0, &len);
	}

	if (text == NULL) {
		text = strdup("out of memory\n");
		len = text ? strlen(text) : 0;
	}
	if (ipc_send_blob(w->ipc, IPC_STATS_DATA, IPC_STATS_END,
	    w->msg.hdr.arg0, text ? text : "", len) < 0)
		log_err("sending statistics to master: %s", strerror(errno));
	free(text);
}

static void
report_health(const char *pool, const char *member, bool up, void *arg)
{
	struct worker *w = arg;

	if (ipc_send_member(w->ipc, IPC_HEALTH, up, 0, pool, member) < 0)
		log_warn("cannot tell the master about %s/%s", pool, member);
}

/* Serves the master until the threads are done.  Returns the exit code. */
static int
serve_master(struct worker *w)
{
	struct pollfd p[2] = { { .fd = w->ipc, .events = POLLIN },
	    { .fd = w->stats_fd, .events = POLLIN } };
	/* CLOCK_MONOTONIC ms at which in-flight work is cut, 0 = none */
	uint64_t cut_at = 0;

	while (!all_done(w)) {
		uint64_t now = lb_now_ms();
		int r = poll(p, 2, cut_at == 0 ? 200 : cut_at <= now ? 0 :
		    cut_at - now < 200 ? (int)(cut_at - now) : 200);

		/* long tunnels must not keep an old generation forever */
		if (cut_at != 0 && lb_now_ms() >= cut_at) {
			log_warn("still busy when the drain's time was up; "
			    "stopping now");
			lb_runtime_stop(w->rt);
			cut_at = 0;
		}

		if (r > 0 && (p[1].revents & POLLIN))
			stats_serve(w->rt, &w->fw, w->stats_fd);
		/* health changes, for the master to hand to the next worker */
		if (p[0].fd >= 0)
			lb_runtime_health_changes(w->rt, report_health, w);
		if (r <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = ipc_recv(w->ipc, &w->msg);
		if (r <= 0) {
			log_warn("master went away; stopping");
			lb_runtime_stop(w->rt);
			p[0].fd = -1;		/* poll ignores it from now */
			continue;
		}
		if (w->msg.fd >= 0)
			(void)close(w->msg.fd);
		if (w->msg.hdr.type == IPC_STATS ||
		    w->msg.hdr.type == IPC_SHOW_POOL)
			answer_stats(w);
		else if (w->msg.hdr.type == IPC_MEMBER)
			apply_member(w);
		else if (w->msg.hdr.type == IPC_TICKET_KEYS)
			set_tickets(w);
		else if (w->msg.hdr.type == IPC_DRAIN) {
			/* arg0: ms before in-flight work is cut; a second
			 * DRAIN may shorten it (a stop during a drain) */
			uint64_t at = lb_now_ms() + w->msg.hdr.arg0;

			if (cut_at == 0 || at < cut_at) {
				log_info("draining, for at most %u ms",
				    w->msg.hdr.arg0);
				lb_runtime_drain(w->rt);
				cut_at = at > 0 ? at : 1;
			}
		}
	}
	return 0;
}

int
worker_main(int ipc, bool debug)
{
	struct worker w = { .ipc = ipc, .stats_fd = -1 };
	int rc;

	log_init("worker", debug);
	signal(SIGPIPE, SIG_IGN);
	if (read_config(&w) < 0 || read_shm(&w) < 0 || build_runtime(&w) < 0 ||
	    read_listeners(&w) < 0 || build_tls(&w) < 0 ||
	    lb_runtime_access_logs(w.rt, w.log_fds) < 0 ||
	    start_threads(&w) < 0)
		return 1;
	log_info("serving with %u thread%s as uid %d", w.nthreads,
	    w.nthreads == 1 ? "" : "s", (int)getuid());
	if (lb_monitors_start(w.rt) < 0)
		log_err("cannot start the monitors: members stay as they are");
	if (ipc_send(ipc, IPC_READY, 0, 0, NULL, 0, -1) < 0)
		log_warn("telling master we are ready: %s", strerror(errno));
	rc = serve_master(&w);
	for (unsigned i = 0; i < w.nthreads; i++)
		pthread_join(w.threads[i].tid, NULL);
	lb_monitors_stop(w.rt);
	lb_runtime_free(&w.rt);
	edged_conf_free(&w.conf);
	free(w.threads);
	free(w.done);
	free(w.fds);
	free(w.log_fds);
	explicit_bzero(w.tickets, sizeof(w.tickets));
	explicit_bzero(&w.msg, sizeof(w.msg));
	if (w.stats_fd >= 0)
		(void)close(w.stats_fd);
	if (w.shm != NULL)
		(void)munmap(w.shm, w.shm_len);
	if (w.fw.view.hdr != NULL)
		(void)munmap(w.fw.view.hdr, w.fw_len);
	log_info("worker exiting");
	return rc;
}
