/*
 * src/workers.c - the master's worker processes: each started as the
 * configured user with the same binary, fed its generation (the
 * configuration text, each module's messages, the sockets), watched,
 * restarted when it dies (backing off while it keeps dying), and the
 * modules told of each one's life (module.h's worker_born ... gone).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "log.h"
#include "master.h"
#include "master_int.h"
#include "notify.h"
#include "upgrade.h"

#define RESTART_MIN	0.05
#define RESTART_MAX	0.8
#define STABLE_AFTER	10.0

static void worker_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void worker_exit_cb(struct ev_loop *loop, ev_child *w, int revents);

/* In the child: become the unprivileged user, then the worker binary. */
static void
exec_worker(struct master *m, int ipc, const struct passwd *pw,
    pid_t master)
{
	char fdarg[16];
	char *argv[] = { "edged", "--worker", fdarg, m->debug ? "-d" : NULL,
	    NULL };

	snprintf(fdarg, sizeof(fdarg), "%d", ipc);
	if (pw != NULL && (setgroups(0, NULL) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
	    setuid(0) == 0)) {
		log_err("cannot drop privileges to %s", pw->pw_name);
		_exit(127);
	}
	/* The worker must not outlive the master (a master killed with
	 * SIGKILL: systemd restarts edged once the worker is gone too).
	 * Set after setuid, which clears it; a master already gone is
	 * seen by the parent having changed.  The worker also stops when
	 * its end of the socket pair reads EOF. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(127);
	execv(m->exe, argv);
	log_err("cannot exec the worker: %s", strerror(errno));
	_exit(127);
}

static int
lookup_user(const struct gen *g, struct passwd **pw)
{
	*pw = NULL;
	if (geteuid() != 0)
		return 0;		/* not root: nothing to drop */
	if ((*pw = getpwnam(g->conf->core.user)) == NULL) {
		log_err("user %s does not exist (packaging/install-deps.sh "
		    "creates it)", g->conf->core.user);
		return -1;
	}
	return 0;
}

static int
send_tickets(struct master *m, struct worker *w)
{
	return ipc_send(w->ipc, IPC_TICKET_KEYS, (uint32_t)m->tickets.n, 0,
	    m->tickets.keys, m->tickets.n * EDGED_TICKET_KEY, -1);
}

void
workers_each(struct master *m, unsigned which,
    void (*fn)(struct worker *w, void *arg), void *arg)
{
	if (m->worker != NULL && (which & EDGED_W_SERVING))
		fn(m->worker, arg);
	if (m->pending != NULL && (which & EDGED_W_STARTING))
		fn(m->pending, arg);
	for (struct worker *w = m->draining; w != NULL; w = w->next)
		if (which & EDGED_W_DRAINING)
			fn(w, arg);
}

static void
new_tickets(struct worker *w, void *arg)
{
	(void)arg;
	(void)send_tickets(w->m, w);
}

/* What each module sends a worker of g before it starts. */
static int
feed_modules(struct worker *w, const struct gen *g)
{
	for (uint16_t i = 0; i < EDGED_NMODULES; i++) {
		struct ipc_channel c = IPC_CHANNEL(w->ipc, i);

		if (edged_modules[i]->feed_worker != NULL &&
		    edged_modules[i]->feed_worker(w->m->mods[i], g->mods[i],
		    w->mods[i], &c.ch) < 0)
			return -1;
	}
	return 0;
}

/* Sends the configuration text and every socket, then START. */
static int
feed_worker(struct worker *w, const struct gen *g)
{
	const struct listen_set *ls = &g->listeners;

	if (ipc_send_blob(w->ipc, IPC_CONFIG_DATA, IPC_CONFIG_END, 0,
	    g->text, g->len) < 0 || send_tickets(w->m, w) < 0)
		return -1;
	if (feed_modules(w, g) < 0)
		return -1;
	for (size_t i = 0; i < ls->nlisteners * ls->nthreads; i++)
		if (ipc_send(w->ipc, IPC_LISTENER, (uint32_t)(i / ls->nthreads),
		    ls->v[i].thread, NULL, 0, ls->v[i].fd) < 0)
			return -1;
	if (ls->stats.fd >= 0 && ipc_send(w->ipc, IPC_STATS_LISTENER, 0, 0,
	    NULL, 0, ls->stats.fd) < 0)
		return -1;
	return ipc_send(w->ipc, IPC_START, 0, 0, NULL, 0, -1);
}

/* The modules see host->figures again (module.h's master_figures_changed). */
void
master_figures_changed(struct master *m)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (m->mods[i] != NULL && edged_modules[i]->figures_changed)
			edged_modules[i]->figures_changed(m->mods[i]);
}

/* w's role for every module (module.h's worker_role). */
void
worker_set_role(struct master *m, struct worker *w, unsigned role)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (w->mods[i] != NULL && edged_modules[i]->worker_role)
			edged_modules[i]->worker_role(m->mods[i], w->mods[i],
			    role);
}

/* w is gone: each module's data for it goes (worker_gone). */
static void
worker_modules_gone(struct master *m, struct worker *w)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		if (w->mods[i] != NULL && edged_modules[i]->worker_gone)
			edged_modules[i]->worker_gone(m->mods[i], w->mods[i]);
		w->mods[i] = NULL;
	}
}

/* Each module's data for a worker of g (worker_born); 0, or -1 (what
 * was made is undone). */
static int
worker_modules_born(struct master *m, struct worker *w, const struct gen *g)
{
	unsigned threads = edged_conf_threads(g->conf);

	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->worker_born != NULL &&
		    edged_modules[i]->worker_born(m->mods[i], g->mods[i],
		    threads, &w->mods[i]) < 0) {
			worker_modules_gone(m, w);
			return -1;
		}
	return 0;
}

/* A reload (edgectl reload, SIGHUP) ended; an upgrade is not one. */
void
master_count_reload(struct master *m, bool ok)
{
	if (ok) {
		m->figures.reloads_ok++;
		m->figures.loaded_ms = (uint64_t)(m->gen->loaded * 1e3);
	} else
		m->figures.reloads_failed++;
	master_figures_changed(m);
}

/* A new ticket key for every live worker; the period is the one in
 * force now. */
static void
ticket_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct master *m = t->data;

	(void)revents;
	if (tickets_rotate(&m->tickets) < 0) {
		log_warn("no new TLS ticket key: the random generator failed");
	} else
		workers_each(m, EDGED_W_SERVING | EDGED_W_STARTING |
		    EDGED_W_DRAINING, new_tickets, NULL);
	t->repeat = (double)m->gen->conf->core.ticket_rotate_ms / 1000.0;
	ev_timer_again(loop, t);
}

struct worker *
worker_start(struct master *m, struct gen *g)
{
	struct worker *w = calloc(1, sizeof(*w));
	struct passwd *pw;
	int sv[2];
	pid_t self;

	if (w == NULL || lookup_user(g, &pw) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(w);
		return NULL;
	}
	w->m = m;
	if (worker_modules_born(m, w, g) < 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		free(w);
		return NULL;
	}
	w->gen = g;
	g->refs++;
	self = getpid();
	w->pid = fork();
	if (w->pid == 0) {
		(void)close(sv[0]);
		/* the exec'd worker keeps only this descriptor */
		(void)fcntl(sv[1], F_SETFD, 0);
		exec_worker(m, sv[1], pw, self);
	}
	(void)close(sv[1]);
	w->ipc = sv[0];
	if (w->pid < 0 || feed_worker(w, g) < 0) {
		log_err("cannot start a worker: %s", strerror(errno));
		if (w->pid > 0)
			(void)kill(w->pid, SIGKILL);
		(void)close(w->ipc);
		worker_modules_gone(m, w);
		gen_unref(g);
		free(w);
		return NULL;
	}
	w->started = ev_now(m->loop);
	worker_watch(m, w);
	log_info("started worker %d", (int)w->pid);
	return w;
}

void
worker_watch(struct master *m, struct worker *w)
{
	ev_io_init(&w->io, worker_io_cb, w->ipc, EV_READ);
	w->io.data = w;
	ev_io_start(m->loop, &w->io);
	ev_child_init(&w->child, worker_exit_cb, w->pid, 0);
	w->child.data = w;
	ev_child_start(m->loop, &w->child);
}

static void
worker_free(struct worker *w)
{
	struct master *m = w->m;

	ev_io_stop(m->loop, &w->io);
	ev_child_stop(m->loop, &w->child);
	if (w->ipc >= 0)
		(void)close(w->ipc);
	ctl_worker_gone(m, w);
	worker_modules_gone(m, w);
	gen_unref(w->gen);
	free(w);
}

static void
log_exit(const struct worker *w, int status, bool expected)
{
	if (WIFSIGNALED(status))
		log_msg(expected ? LOG_LVL_INFO : LOG_LVL_ERR,
		    "worker %d killed by signal %d (%s)", (int)w->pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		log_msg(expected && WEXITSTATUS(status) == 0 ? LOG_LVL_INFO :
		    LOG_LVL_ERR, "worker %d exited with status %d", (int)w->pid,
		    WEXITSTATUS(status));
}

/* ran: how long the worker that died had run (0: it never started). */
static void
schedule_restart(struct master *m, double ran)
{
	if (ran > STABLE_AFTER)
		m->restart_delay = RESTART_MIN;
	else
		m->restart_delay = m->restart_delay * 2 > RESTART_MAX ?
		    RESTART_MAX : m->restart_delay * 2;
	log_info("restarting the worker in %.0f ms", m->restart_delay * 1e3);
	ev_timer_set(&m->restart, m->restart_delay, 0);
	ev_timer_start(m->loop, &m->restart);
}

static void
worker_exit_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct worker *w = c->data;
	struct master *m = w->m;
	bool current = w == m->worker;
	double ran = ev_now(m->loop) - w->started;

	(void)loop;
	(void)revents;
	log_exit(w, c->rstatus, !current || m->stopping);
	/* what it counted stays, killed or not (the modules keep it) */
	worker_modules_gone(m, w);
	if (w == m->pending) {
		m->pending = NULL;
		reload_failed(m, "the new worker died while starting");
	} else if (current) {
		m->worker = NULL;
	} else {
		draining_remove(m, w);
	}
	worker_free(w);
	if (current && !m->stopping)
		schedule_restart(m, ran);
	if (m->stopping && m->worker == NULL && m->draining == NULL &&
	    m->pending == NULL)
		ev_break(m->loop, EVBREAK_ALL);
}

/* A worker's message to one of the modules. */
static void
module_msg(struct master *m, struct worker *w, const struct ipc_msg *msg)
{
	uint16_t id = IPC_MODULE_ID(msg->hdr.arg0);
	struct ipc_channel back;

	if (id >= EDGED_NMODULES || edged_modules[id]->from_worker == NULL) {
		log_warn("worker %d sent a message for no module (%u)",
		    (int)w->pid, id);
		return;
	}
	back = IPC_CHANNEL(w->ipc, id);
	edged_modules[id]->from_worker(m->mods[id], w->gen->mods[id],
	    w == m->worker || w == m->pending, IPC_MODULE_TYPE(msg->hdr.arg0),
	    msg->hdr.arg1, msg->data, msg->hdr.len, &back.ch);
}

static void
worker_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	struct master *m = w->m;
	int r = ipc_recv(w->ipc, &m->msg);

	(void)loop;
	(void)revents;
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		/* its exit is handled by the child watcher */
		ev_io_stop(m->loop, &w->io);
		return;
	}
	if (m->msg.fd >= 0)
		(void)close(m->msg.fd);
	switch (m->msg.hdr.type) {
	case IPC_READY:
		worker_ready(m, w);
		break;
	case IPC_FAILED:
		log_err("worker %d failed: %.*s", (int)w->pid,
		    (int)m->msg.hdr.len, m->msg.data);
		break;
	case IPC_STATS_DATA:
	case IPC_STATS_END:
		ctl_stats_reply(m, w, &m->msg);
		break;
	case IPC_MODULE:
		module_msg(m, w, &m->msg);
		break;
	default:
		log_warn("worker %d sent unknown message %u", (int)w->pid,
		    m->msg.hdr.type);
	}
}

static void
restart_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct master *m = t->data;

	(void)loop;
	(void)revents;
	if (m->worker != NULL || m->stopping)
		return;
	if ((m->worker = worker_start(m, m->gen)) == NULL)
		schedule_restart(m, 0);
	else
		worker_set_role(m, m->worker, EDGED_W_SERVING);
}

void
workers_init(struct master *m)
{
	ev_init(&m->restart, restart_cb);
	m->restart.data = m;
	m->restart_delay = RESTART_MIN;
	ev_init(&m->ticket_timer, ticket_cb);
	m->ticket_timer.repeat = (double)m->gen->conf->core.ticket_rotate_ms /
	    1000.0;
	m->ticket_timer.data = m;
	ev_timer_again(m->loop, &m->ticket_timer);
}
