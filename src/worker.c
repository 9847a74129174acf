/*
 * src/worker.c - the worker process: every module's data path,
 * unprivileged.
 *
 * The master starts it already running as the configured user.  It
 * reads the configuration text from the master (ipc.h), parses it again
 * in its own memory, makes each module's runtime (module.h's worker_new),
 * hands each module its messages and, at START, its listening sockets;
 * then its main thread answers the master (questions, edgectl changes,
 * drain) and the stats listener until every module is done.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "ipc.h"
#include "listeners.h"
#include "log.h"
#include "stats_http.h"
#include "worker.h"

#define TICK_MS		200		/* worker_tick's period at most */

struct worker {
	int ipc;
	struct edged_conf *conf;
	unsigned nthreads;
	struct edged_listens listens;	/* every module's, in order */
	size_t counts[EDGED_NMODULES];	/* how many each has */
	int *fds;			/* [thread][listen] */
	int stats_fd;			/* -1: no stats listener */
	struct ipc_channel chans[EDGED_NMODULES];	/* to the master */
	void *mods[EDGED_NMODULES];	/* each module's runtime */
	struct stats_modules stats;	/* what the stats listener shows */
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
	conf_diag_free(&d);
	free(text);
	return w->conf ? 0 : fail(w, "configuration from master rejected");
}

/* Each module's runtime, and the listening sockets they will get. */
static int
make_modules(struct worker *w)
{
	struct edged_worker_env env = {
	    .max_connections = w->conf->core.max_connections };
	size_t n;

	w->nthreads = env.threads = edged_conf_threads(w->conf);
	if (edged_conf_listens(w->conf, &w->listens, w->counts) < 0)
		return fail(w, "out of memory");
	n = w->nthreads * w->listens.n;
	if ((w->fds = malloc((n ? n : 1) * sizeof(int))) == NULL)
		return fail(w, "out of memory");
	for (size_t i = 0; i < n; i++)
		w->fds[i] = -1;
	for (uint16_t i = 0; i < EDGED_NMODULES; i++) {
		const struct edged_module *mod = edged_modules[i];

		w->chans[i] = IPC_CHANNEL(w->ipc, i);
		env.master = &w->chans[i].ch;
		if (mod->worker_new != NULL && (w->mods[i] =
		    mod->worker_new(w->conf->parts[i], &env)) == NULL)
			return fail(w, "cannot build a module's runtime");
	}
	return 0;
}

/* A MODULE message for module id's runtime; -1 when it refuses one
 * before START.  The payload is wiped after: TLS keys pass here. */
static int
to_module(struct worker *w, bool started)
{
	uint16_t id = IPC_MODULE_ID(w->msg.hdr.arg0);
	int rc = 0, fd = w->msg.fd;

	w->msg.fd = -1;
	if (id >= EDGED_NMODULES || w->mods[id] == NULL ||
	    edged_modules[id]->worker_msg == NULL) {
		log_err("a message from the master for no module (%u)", id);
		if (fd >= 0)
			(void)close(fd);
		rc = started ? 0 : -1;
	} else
		rc = edged_modules[id]->worker_msg(w->mods[id], started,
		    IPC_MODULE_TYPE(w->msg.hdr.arg0), w->msg.hdr.arg1,
		    w->msg.data, w->msg.hdr.len, fd);
	explicit_bzero(w->msg.data, w->msg.hdr.len);
	return rc;
}

/* TICKET_KEYS: for every module that terminates TLS. */
static void
set_tickets(struct worker *w)
{
	size_t n = w->msg.hdr.arg0;

	if (n == 0 || n > EDGED_TICKET_KEYS ||
	    w->msg.hdr.len != n * EDGED_TICKET_KEY) {
		log_err("bad ticket keys from master");
		explicit_bzero(w->msg.data, w->msg.hdr.len);
		return;
	}
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (w->mods[i] != NULL && edged_modules[i]->worker_tickets)
			edged_modules[i]->worker_tickets(w->mods[i],
			    (const unsigned char *)w->msg.data,
			    w->msg.hdr.arg0);
	explicit_bzero(w->msg.data, w->msg.hdr.len);
}

/* LISTENER: listen arg0's socket for thread arg1. */
static int
take_listener(struct worker *w)
{
	if (w->msg.fd < 0 || w->msg.hdr.arg0 >= w->listens.n ||
	    w->msg.hdr.arg1 >= w->nthreads)
		return fail(w, "bad listener message from master");
	w->fds[w->msg.hdr.arg1 * w->listens.n + w->msg.hdr.arg0] = w->msg.fd;
	return 0;
}

/* The messages between the state block and START: each module's, the
 * ticket keys, the sockets. */
static int
read_until_start(struct worker *w)
{
	for (;;) {
		if (ipc_recv(w->ipc, &w->msg) <= 0)
			return fail(w, "lost the master while reading sockets");
		switch (w->msg.hdr.type) {
		case IPC_START:
			return 0;
		case IPC_MODULE:
			if (to_module(w, false) < 0)
				return fail(w, "a module refused the master's "
				    "message");
			break;
		case IPC_TICKET_KEYS:
			set_tickets(w);
			break;
		case IPC_STATS_LISTENER:
			if (w->msg.fd < 0 || w->stats_fd >= 0)
				return fail(w, "bad stats listener from "
				    "master");
			w->stats_fd = w->msg.fd;
			break;
		case IPC_LISTENER:
			if (take_listener(w) < 0)
				return -1;
			break;
		default:
			return fail(w, "unexpected message from master");
		}
	}
}

/* Each module gets its sockets, [thread][its listens], and serves. */
static int
start_modules(struct worker *w)
{
	size_t n = w->listens.n, first = 0;

	for (size_t i = 0; i < w->nthreads * n; i++)
		if (w->fds[i] < 0)
			return fail(w, "master sent too few sockets");
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		size_t k = w->counts[i];
		int *fds = malloc((w->nthreads * k + 1) * sizeof(int));
		int rc = 0;

		if (fds == NULL)
			return fail(w, "out of memory");
		for (size_t t = 0; t < w->nthreads; t++)
			memcpy(fds + t * k, w->fds + t * n + first,
			    k * sizeof(int));
		if (w->mods[i] != NULL && edged_modules[i]->worker_start)
			rc = edged_modules[i]->worker_start(w->mods[i], fds, k);
		free(fds);
		if (rc < 0)
			return fail(w, "a module cannot start");
		first += k;
	}
	return 0;
}

static bool
all_done(const struct worker *w)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (w->mods[i] != NULL && edged_modules[i]->worker_done &&
		    !edged_modules[i]->worker_done(w->mods[i]))
			return false;
	return true;
}

/* Calls hook (a void hook of ws alone) of every module that has it. */
#define EACH(w, hook) \
	for (size_t i_ = 0; i_ < EDGED_NMODULES; i_++) \
		if ((w)->mods[i_] != NULL && edged_modules[i_]->hook != NULL) \
			edged_modules[i_]->hook((w)->mods[i_])

/* ASK: a module's answer, for the master's client. */
static void
answer_ask(struct worker *w)
{
	uint16_t id = IPC_MODULE_ID(w->msg.hdr.arg0);
	bool json = w->msg.hdr.len > 0 && w->msg.data[0] == '1';
	const char *arg = w->msg.hdr.len > 0 ? w->msg.data + 1 : "";
	size_t len = 0;
	char *text = NULL;

	if (id < EDGED_NMODULES && w->mods[id] != NULL &&
	    edged_modules[id]->worker_ask != NULL)
		text = edged_modules[id]->worker_ask(w->mods[id],
		    IPC_MODULE_TYPE(w->msg.hdr.arg0), json, arg, &len);
	if (text == NULL) {
		text = strdup("out of memory\n");
		len = text ? strlen(text) : 0;
	}
	if (ipc_send_blob(w->ipc, IPC_STATS_DATA, IPC_STATS_END,
	    w->msg.hdr.arg1, text ? text : "", len) < 0)
		log_err("sending an answer to the master: %s", strerror(errno));
	free(text);
}

/* DRAIN, arg0: ms before in-flight work is cut; a second DRAIN may
 * shorten it (a stop during a drain).  *cut_at: when, 0 none. */
static void
drain(struct worker *w, uint64_t *cut_at)
{
	uint64_t at = clock_ms() + w->msg.hdr.arg0;

	if (*cut_at != 0 && at >= *cut_at)
		return;
	log_info("draining, for at most %u ms", w->msg.hdr.arg0);
	EACH(w, worker_drain);
	*cut_at = at > 0 ? at : 1;
}

/* One message from the master while serving; false when it went away. */
static bool
from_master(struct worker *w, uint64_t *cut_at)
{
	if (ipc_recv(w->ipc, &w->msg) <= 0) {
		log_warn("master went away; stopping");
		EACH(w, worker_stop);
		return false;
	}
	switch (w->msg.hdr.type) {
	case IPC_MODULE:
		(void)to_module(w, true);
		return true;
	case IPC_ASK:
		answer_ask(w);
		break;
	case IPC_TICKET_KEYS:
		set_tickets(w);
		break;
	case IPC_DRAIN:
		drain(w, cut_at);
		break;
	}
	if (w->msg.fd >= 0)
		(void)close(w->msg.fd);
	return true;
}

/* Serves the master until every module is done.  Returns the exit
 * code. */
static int
serve_master(struct worker *w)
{
	struct pollfd p[2] = { { .fd = w->ipc, .events = POLLIN },
	    { .fd = w->stats_fd, .events = POLLIN } };
	/* CLOCK_MONOTONIC ms at which in-flight work is cut, 0 = none */
	uint64_t cut_at = 0;

	while (!all_done(w)) {
		uint64_t now = clock_ms();
		int r = poll(p, 2, cut_at == 0 ? TICK_MS : cut_at <= now ? 0 :
		    cut_at - now < TICK_MS ? (int)(cut_at - now) : TICK_MS);

		/* long tunnels must not keep an old generation forever */
		if (cut_at != 0 && clock_ms() >= cut_at) {
			log_warn("still busy when the drain's time was up; "
			    "stopping now");
			EACH(w, worker_stop);
			cut_at = 0;
		}
		if (r > 0 && (p[1].revents & POLLIN))
			stats_serve(&w->stats, w->stats_fd);
		if (p[0].fd >= 0)
			EACH(w, worker_tick);
		if (r <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (!from_master(w, &cut_at))
			p[0].fd = -1;		/* poll ignores it from now */
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
	if (read_config(&w) < 0 || make_modules(&w) < 0 ||
	    read_until_start(&w) < 0 || start_modules(&w) < 0)
		return 1;
	w.stats = (struct stats_modules){ .mods = w.mods };
	log_info("serving with %u thread%s as uid %d", w.nthreads,
	    w.nthreads == 1 ? "" : "s", (int)getuid());
	if (ipc_send(ipc, IPC_READY, 0, 0, NULL, 0, -1) < 0)
		log_warn("telling master we are ready: %s", strerror(errno));
	rc = serve_master(&w);
	for (size_t i = EDGED_NMODULES; i-- > 0;)
		if (w.mods[i] != NULL && edged_modules[i]->worker_free)
			edged_modules[i]->worker_free(w.mods[i]);
	edged_conf_free(&w.conf);
	edged_listens_release(&w.listens);
	free(w.fds);
	explicit_bzero(&w.msg, sizeof(w.msg));
	if (w.stats_fd >= 0)
		(void)close(w.stats_fd);
	log_info("worker exiting");
	return rc;
}
