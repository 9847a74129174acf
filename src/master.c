/*
 * src/master.c - the master process.  It stays root: it reads and
 * validates the configuration, binds the listening sockets, starts the
 * unprivileged worker and hands it the configuration text and the
 * sockets, restarts it when it dies, serves the control socket, and
 * reloads as a transaction: a new configuration that does not parse, or
 * whose sockets cannot be bound, or whose worker does not come up,
 * leaves the running one untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* ---- workers ---- */

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

/* The modules see host->figures again (module.h's figures_changed). */
static void
figures_changed(struct master *m)
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
static void
count_reload(struct master *m, bool ok)
{
	if (ok) {
		m->figures.reloads_ok++;
		m->figures.loaded_ms = (uint64_t)(m->gen->loaded * 1e3);
	} else
		m->figures.reloads_failed++;
	figures_changed(m);
}

/* A new ticket key for every live worker; the period is the one in
 * force now. */
static void
ticket_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct master *m = t->data;

	(void)revents;
	if (tickets_rotate(&m->tickets) < 0) {
		log_warn("no new TLS ticket key: the random generator failed");
	} else {
		if (m->worker != NULL)
			(void)send_tickets(m, m->worker);
		if (m->pending != NULL)
			(void)send_tickets(m, m->pending);
		for (struct worker *d = m->draining; d != NULL; d = d->next)
			(void)send_tickets(m, d);
	}
	t->repeat = (double)m->gen->conf->core.ticket_rotate_ms / 1000.0;
	ev_timer_again(loop, t);
}

static struct worker *
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

	if (id >= EDGED_NMODULES || edged_modules[id]->from_worker == NULL) {
		log_warn("worker %d sent a message for no module (%u)",
		    (int)w->pid, id);
		return;
	}
	edged_modules[id]->from_worker(m->mods[id], w->gen->mods[id],
	    w == m->worker || w == m->pending, IPC_MODULE_TYPE(msg->hdr.arg0),
	    msg->hdr.arg1, msg->data, msg->hdr.len);
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

/* ---- generations and reload ---- */

void
gen_unref(struct gen *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	listen_set_release(&g->listeners);
	/* the modules' parts first: they read their configuration */
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (g->mods[i] != NULL)
			edged_modules[i]->gen_free(g->m->mods[i], g->mods[i]);
	edged_conf_free(&g->conf);
	free(g->text);
	free(g);
}

/* host->each_worker: fn for each worker of which. */
static void
host_each_worker(const struct edged_host *h, const struct edged_module *mod,
    unsigned which, void (*fn)(void *arg, void *gd,
    const struct edged_channel *ch), void *arg)
{
	struct master *m = h->core;
	uint16_t id = (uint16_t)edged_module_index(mod);
	struct worker *serving[2] = { m->worker, m->pending };

	for (size_t i = 0; i < 2; i++) {
		struct worker *w = serving[i];
		struct ipc_channel c = IPC_CHANNEL(w != NULL ? w->ipc :
		    -1, id);

		if (w != NULL && (which & (i == 0 ? EDGED_W_SERVING :
		    EDGED_W_STARTING)))
			fn(arg, w->gen->mods[id], &c.ch);
	}
	for (struct worker *w = m->draining; w != NULL; w = w->next) {
		struct ipc_channel c = IPC_CHANNEL(w->ipc, id);

		if (which & EDGED_W_DRAINING)
			fn(arg, w->gen->mods[id], &c.ch);
	}
}

/* The modules' runtime in the master, made with the first generation's
 * settings.  0, or -1 out of memory (logged). */
static int
masters_new(struct master *m, const struct edged_conf *c)
{
	struct edged_gen_info info = { .state_dir = c->core.state_dir };

	m->host = (struct edged_host){ .loop = m->loop,
	    .figures = &m->figures, .reply = ctl_host_reply, .ask = ctl_host_ask,
	    .each_worker = host_each_worker, .core = m };
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->master_new != NULL &&
		    (m->mods[i] = edged_modules[i]->master_new(&m->host,
		    &info)) == NULL) {
			log_err("%s: out of memory", edged_modules[i]->name);
			return -1;
		}
	m->modules_up = true;
	return 0;
}

/* Each module's runtime part of g (module.h's gen_new).  0, or -1 with
 * the errors in d. */
static int
gens_new(struct master *m, struct gen *g, struct conf_diag *d)
{
	struct edged_gen_info info = {
	    .state_dir = g->conf->core.state_dir };
	struct edged_endpoints eps = { 0 };
	int rc = 0;

	if (edged_conf_endpoints(g->conf, &eps) < 0) {
		edged_endpoints_release(&eps);
		conf_oom(d, NULL);
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < EDGED_NMODULES; i++)
		if (edged_modules[i]->gen_new != NULL &&
		    (g->mods[i] = edged_modules[i]->gen_new(m->mods[i],
		    g->conf->parts[i], &info, &eps, d)) == NULL)
			rc = -1;
	edged_endpoints_release(&eps);
	return rc;
}

/*
 * Puts g in force in every module (module.h's commit), in the table's
 * order.  When one cannot, those before it are committed again with
 * prev (NULL at start: nothing to go back to), and err says why.  A
 * module that cannot go back keeps g's part in force: g is then held
 * (m->held) until a later commit replaces it.  0, or -1.
 */
static int
gens_commit(struct master *m, struct gen *g, struct gen *prev, char *err,
    size_t errsize)
{
	size_t i;

	for (i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->commit != NULL &&
		    edged_modules[i]->commit(m->mods[i], g->mods[i], err,
		    errsize) < 0)
			break;
	if (i == EDGED_NMODULES) {
		gen_unref(m->held);
		m->held = NULL;
		return 0;
	}
	while (prev != NULL && i-- > 0) {
		char again[1024];

		if (edged_modules[i]->commit == NULL)
			continue;
		if (edged_modules[i]->commit(m->mods[i], prev->mods[i], again,
		    sizeof(again)) < 0) {
			log_err("%s: cannot put the running configuration "
			    "back: %s; the refused one stays in force there "
			    "until the next reload", edged_modules[i]->name,
			    again);
			if (m->held == NULL) {
				m->held = g;
				g->refs++;
			}
		} else
			log_info("%s: the running configuration is back",
			    edged_modules[i]->name);
	}
	return -1;
}

/* Loads the file and binds what it needs, sharing prev's sockets where
 * the addresses are the same.  NULL with errors in d. */
static struct gen *
gen_load(struct master *m, const struct listen_set *prev,
    struct conf_diag *d)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		conf_error(d, NULL, "out of memory");
		return NULL;
	}
	g->refs = 1;
	g->m = m;
	g->listeners.stats.fd = -1;	/* no socket until built */
	g->loaded = ev_time();
	if ((g->conf = edged_conf_load(m->path, NULL, 0, d)) == NULL ||
	    (g->text = edged_conf_to_text(g->conf, &g->len)) == NULL ||
	    (!m->modules_up && masters_new(m, g->conf) < 0) ||
	    gens_new(m, g, d) < 0 ||
	    listen_set_build(&g->listeners, g->conf,
	    edged_conf_threads(g->conf), prev, d) < 0) {
		if (d->nerrors == 0)
			conf_error(d, NULL, "out of memory");
		gen_unref(g);
		return NULL;
	}
	return g;
}

void
draining_remove(struct master *m, struct worker *w)
{
	struct worker **pp;

	for (pp = &m->draining; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* Tells w to finish what it has in flight within limit_ms, and exit. */
static void
send_drain(struct worker *w, uint64_t limit_ms)
{
	/* grace and hard-stop-after are at most 7 days: they fit */
	if (ipc_send(w->ipc, IPC_DRAIN, (uint32_t)(limit_ms > UINT32_MAX ?
	    UINT32_MAX : limit_ms), 0, NULL, 0, -1) < 0)
		(void)kill(w->pid, SIGTERM);
}

static void
drain_worker(struct master *m, struct worker *w, uint64_t limit_ms)
{
	w->next = m->draining;
	m->draining = w;
	worker_set_role(m, w, EDGED_W_DRAINING);
	send_drain(w, limit_ms);
}

static void
reload_done(struct master *m, bool ok, const char *text)
{
	ev_timer_stop(m->loop, &m->reload_timeout);
	if (m->reload_client != NULL)
		ctl_reply(m, m->reload_client, ok, text);
	m->reload_client = NULL;
	if (!m->stopping)
		notify(ok ? "READY=1\nSTATUS=serving; reloaded" :
		    "READY=1\nSTATUS=serving; the last reload failed");
}

/*
 * The reload's worker serves: every module puts the new generation in
 * force.  When one cannot, the others are as they were, the new worker
 * drains what it took meanwhile and goes, and the reload fails.  0, or
 * -1 when it failed.
 */
static int
commit_modules(struct master *m, struct worker *w)
{
	char err[2048];

	if (gens_commit(m, m->pending_gen, m->gen, err, sizeof(err)) == 0)
		return 0;
	m->pending = NULL;
	drain_worker(m, w, m->gen->conf->core.grace_ms);
	reload_failed(m, err);
	return -1;
}

void
worker_ready(struct master *m, struct worker *w)
{
	w->ready = true;
	if (w != m->pending) {
		log_info("worker %d is serving", (int)w->pid);
		if (!m->ready_notified) {
			char buf[64];

			snprintf(buf, sizeof(buf), "READY=1\nMAINPID=%d\n"
			    "STATUS=serving", (int)getpid());
			notify(buf);
			m->ready_notified = true;
		}
		return;
	}
	if (m->pending_gen != m->gen && commit_modules(m, w) < 0)
		return;
	/* commit: the new generation serves, the old one drains.  The
	 * master's copies of the old sockets go now: those the generations
	 * share live on in the new one; any other, left open, would stay
	 * in its SO_REUSEPORT group and take a share of new connections
	 * that nobody accepts (an address removed and added back, fewer
	 * threads). */
	m->pending = NULL;
	if (m->worker != NULL)
		drain_worker(m, m->worker,
		    m->pending_gen->conf->core.hard_stop_after_ms);
	m->worker = w;
	worker_set_role(m, w, EDGED_W_SERVING);
	if (m->gen != m->pending_gen)	/* an upgrade keeps its generation */
		listen_set_release(&m->gen->listeners);
	gen_unref(m->gen);
	m->gen = m->pending_gen;
	m->pending_gen = NULL;
	if (m->upgrading) {
		char text[128];

		m->upgrading = false;
		snprintf(text, sizeof(text), "upgraded to edged %s; worker %d "
		    "is serving\n", EDGED_VERSION, (int)w->pid);
		log_info("%s", text);
		reload_done(m, true, text);
		return;
	}
	count_reload(m, true);
	log_info("configuration %s reloaded; worker %d is serving", m->path,
	    (int)w->pid);
	reload_done(m, true, "configuration reloaded\n");
}

void
reload_failed(struct master *m, const char *why)
{
	char *text;

	log_err("%s failed: %s; the running configuration stays in force",
	    m->upgrading ? "upgrade" : "reload", why);
	if (!m->upgrading)
		count_reload(m, false);
	m->upgrading = false;
	gen_unref(m->pending_gen);
	m->pending_gen = NULL;
	if (asprintf(&text, "%s; the running configuration stays in force\n",
	    why) < 0)
		text = NULL;
	reload_done(m, false, text != NULL ? text : "out of memory\n");
	free(text);
}

static void
reload_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct master *m = t->data;

	(void)loop;
	(void)revents;
	if (m->pending == NULL)
		return;
	(void)kill(m->pending->pid, SIGKILL);
	/* its exit callback reports the failure */
}

static char *
diag_text(const struct conf_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	conf_diag_print(d, f);
	fprintf(f, "configuration has errors, not reloading\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
master_reload(struct master *m, struct edged_ctl *client)
{
	struct conf_diag d;
	struct gen *g;
	char *text;

	if (m->pending != NULL || m->stopping) {
		if (client != NULL)
			ctl_reply(m, client, false, m->stopping ? "stopping\n" :
			    "a reload is already in progress\n");
		return -1;
	}
	notify_reloading();
	conf_diag_init(&d);
	g = gen_load(m, &m->gen->listeners, &d);
	if (g == NULL) {
		text = diag_text(&d);
		log_conf_diag(&d);
		log_err("configuration %s has errors, not reloading", m->path);
		if (client != NULL)
			ctl_reply(m, client, false, text ? text : "errors\n");
		free(text);
		conf_diag_free(&d);
		count_reload(m, false);
		notify("READY=1\nSTATUS=serving; the last reload was rejected");
		return -1;
	}
	log_conf_diag(&d);	/* warnings: an expired certificate */
	conf_diag_free(&d);
	m->pending_gen = g;
	m->reload_client = client;
	if ((m->pending = worker_start(m, g)) == NULL) {
		reload_failed(m, "cannot start a worker");
		return -1;
	}
	ev_timer_set(&m->reload_timeout, 10.0, 0);
	ev_timer_start(m->loop, &m->reload_timeout);
	return 0;
}

/* Whether c receives any traffic (a module's endpoint). */
static bool
serves_any(const struct edged_conf *c)
{
	struct edged_endpoints eps = { 0 };
	bool any = edged_conf_endpoints(c, &eps) < 0 || eps.n > 0;

	edged_endpoints_release(&eps);
	return any;
}

/* Each client connection may hold a backend connection too; the worker
 * inherits this limit.  Root may raise the hard limit; others get what
 * the hard limit allows, and accept backs off when it runs out.  Without
 * a virtual server there is nothing to accept, and nothing to say. */
static void
raise_fd_limit(const struct edged_conf *c)
{
	uint64_t maxconn = c->core.max_connections;
	uint64_t want = 2 * maxconn + 1024;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want && setrlimit(RLIMIT_NOFILE,
	    &(struct rlimit){ want, want }) == 0)
		return;
	if (rl.rlim_max < want)
		rl.rlim_cur = rl.rlim_max;
	if ((setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want) &&
	    serves_any(c))
		log_warn("file descriptor limit %llu is below the %llu that "
		    "max-connections %llu needs: raise it (LimitNOFILE=%llu "
		    "in the systemd unit, or ulimit -n %llu before starting "
		    "edged) or lower max-connections",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)want,
		    (unsigned long long)maxconn, (unsigned long long)want,
		    (unsigned long long)want);
}

/* ---- signals and life ---- */

static void
kill_all(struct master *m, int sig)
{
	if (m->worker != NULL)
		(void)kill(m->worker->pid, sig);
	if (m->pending != NULL)
		(void)kill(m->pending->pid, sig);
	for (struct worker *w = m->draining; w != NULL; w = w->next)
		(void)kill(w->pid, sig);
}

static void
kill_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct master *m = t->data;

	(void)loop;
	(void)revents;
	log_warn("workers did not stop in time; killing them");
	kill_all(m, SIGKILL);
}

static void
close_listeners(struct master *m)
{
	listen_set_release(&m->gen->listeners);
	if (m->pending_gen != NULL)
		listen_set_release(&m->pending_gen->listeners);
	for (struct worker *w = m->draining; w != NULL; w = w->next)
		listen_set_release(&w->gen->listeners);
}

/*
 * Graceful: no new connection is accepted; every worker finishes what
 * it has in flight for up to `grace`, closing idle keep-alive
 * connections between requests, then exits, and so does the master.
 * Otherwise the workers are stopped at once.
 */
static void
master_stop(struct master *m, bool graceful)
{
	uint64_t grace = m->gen->conf->core.grace_ms;
	struct worker *w;

	if (m->stopping && graceful)
		return;			/* already on its way */
	m->stopping = true;
	notify("STOPPING=1");
	ev_timer_stop(m->loop, &m->restart);
	ev_timer_stop(m->loop, &m->kill_timer);
	if (m->pending != NULL)
		(void)kill(m->pending->pid, SIGKILL);
	if (!graceful) {
		kill_all(m, SIGTERM);
		ev_timer_set(&m->kill_timer, 5.0, 0);
	} else {
		/* the master's copies too: the sockets close with the
		 * workers' */
		close_listeners(m);
		for (w = m->draining; w != NULL; w = w->next)
			send_drain(w, grace);
		if (m->worker != NULL) {
			w = m->worker;
			m->worker = NULL;
			drain_worker(m, w, grace);
		}
		ev_timer_set(&m->kill_timer, grace / 1000.0 + 5.0, 0);
	}
	ev_timer_start(m->loop, &m->kill_timer);
	if (m->worker == NULL && m->pending == NULL && m->draining == NULL)
		ev_break(m->loop, EVBREAK_ALL);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct master *m = s->data;

	(void)loop;
	(void)revents;
	switch (s->signum) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s", m->path);
		(void)master_reload(m, NULL);
		break;
	case SIGUSR2:
		log_info("SIGUSR2: upgrading to %s", m->exe);
		(void)master_upgrade(m, NULL);
		break;
	case SIGTERM:
		log_info("SIGTERM: stopping once in-flight work is done "
		    "(grace %llu ms)",
		    (unsigned long long)m->gen->conf->core.grace_ms);
		master_stop(m, true);
		break;
	default:
		log_info("%s: stopping now", strsignal(s->signum));
		master_stop(m, false);
	}
}

static void
init_watchers(struct master *m)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT,
	    SIGUSR2 };

	for (size_t i = 0; i < 5; i++) {
		ev_signal_init(&m->sigs[i], signal_cb, sigs[i]);
		m->sigs[i].data = m;
		ev_signal_start(m->loop, &m->sigs[i]);
	}
	ev_init(&m->restart, restart_cb);
	m->restart.data = m;
	ev_init(&m->reload_timeout, reload_timeout_cb);
	m->reload_timeout.data = m;
	ev_init(&m->kill_timer, kill_timer_cb);
	m->kill_timer.data = m;
	m->restart_delay = RESTART_MIN;
	ev_init(&m->ticket_timer, ticket_timer_cb);
	m->ticket_timer.repeat = (double)m->gen->conf->core.ticket_rotate_ms /
	    1000.0;
	m->ticket_timer.data = m;
	ev_timer_again(m->loop, &m->ticket_timer);
}

/*
 * After an upgrade's exec: the old image's workers, sockets and state
 * are taken over, and a new worker of this binary replaces the old one
 * as in a reload.  Returns 0, or -1 when there is nothing to go on with.
 */
static int
resume_upgrade(struct master *m, struct upgrade_state *u)
{
	struct edged_ctl *client;

	if (u->ctl >= 0)
		ctl_adopt(m, u->ctl);
	client = u->client >= 0 ? ctl_adopt_client(m, u->client) : NULL;
	if (u->started > 0)
		m->started = u->started;
	/* the reloads and the load of the configuration in force come
	 * with the state lines ("reloads ...") */
	m->figures.started_ms = (uint64_t)(m->started * 1e3);
	if (upgrade_adopt(m, u) < 0)
		log_warn("upgrade: some runtime state was lost (see above)");
	figures_changed(m);
	if (m->tickets.n == 0 && tickets_rotate(&m->tickets) < 0)
		return -1;
	if (m->worker == NULL) {
		/* nothing to take over from: start as usual */
		if (client != NULL)
			ctl_reply(m, client, true, "upgraded; no worker was "
			    "running, a new one starts\n");
		if ((m->worker = worker_start(m, m->gen)) == NULL)
			return -1;
		worker_set_role(m, m->worker, EDGED_W_SERVING);
		return 0;
	}
	m->upgrading = true;
	m->pending_gen = m->gen;
	m->gen->refs++;
	m->reload_client = client;
	if ((m->pending = worker_start(m, m->gen)) == NULL) {
		reload_failed(m, "cannot start a worker");
		return 0;		/* the old worker serves on */
	}
	ev_timer_set(&m->reload_timeout, 10.0, 0);
	ev_timer_start(m->loop, &m->reload_timeout);
	return 0;
}

int
master_main(const char *path, bool debug, int upgrade_fd)
{
	struct master m = { .path = path, .debug = debug, .ctl_fd = -1,
	    .upgrade_out = -1 };
	struct upgrade_state *u = NULL;
	struct conf_diag d;
	sigset_t none;

	log_init("master", debug);
	signal(SIGPIPE, SIG_IGN);
	/* the worker is this binary, by its real name (ps shows "edged") */
	ssize_t n = readlink("/proc/self/exe", m.exe, sizeof(m.exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(m.exe) - 1) {
		log_err("cannot find my own binary: %s", strerror(errno));
		return 1;
	}
	m.exe[n] = '\0';
	/* an exec keeps the signal mask: start from a clean one */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	m.loop = EV_DEFAULT;
	m.started = ev_time();
	m.figures.started_ms = (uint64_t)(m.started * 1e3);
	if (upgrade_fd >= 0 && (u = upgrade_read(upgrade_fd)) == NULL)
		return 1;
	conf_diag_init(&d);
	m.gen = gen_load(&m, u ? &u->old : NULL, &d);
	log_conf_diag(&d);
	conf_diag_free(&d);
	if (m.gen == NULL) {
		log_err("configuration %s has errors; not starting", path);
		return 1;
	}
	m.figures.loaded_ms = (uint64_t)(m.gen->loaded * 1e3);
	figures_changed(&m);
	if (geteuid() != 0)
		log_warn("not running as root: the worker keeps uid %d",
		    (int)geteuid());
	{
		char err[2048];

		if (gens_commit(&m, m.gen, NULL, err, sizeof(err)) < 0) {
			log_err("%s; not starting", err);
			return 1;
		}
	}
	raise_fd_limit(m.gen->conf);
	if (u == NULL && tickets_rotate(&m.tickets) < 0) {
		log_err("cannot make a TLS ticket key: no randomness");
		return 1;
	}
	init_watchers(&m);
	if (u != NULL) {
		/* the new generation holds its own duplicates now */
		int rc = resume_upgrade(&m, u);

		upgrade_state_free(u);
		if (rc < 0)
			return 1;
		log_info("edged %s took over (upgrade), with %s", EDGED_VERSION,
		    path);
	} else {
		if (ctl_open(&m, m.gen->conf->core.control_socket) < 0)
			return 1;
		if ((m.worker = worker_start(&m, m.gen)) == NULL)
			return 1;
		worker_set_role(&m, m.worker, EDGED_W_SERVING);
		log_info("edged started with %s", path);
	}
	ev_run(m.loop, 0);
	ctl_close(&m);
	gen_unref(m.gen);
	gen_unref(m.held);
	tickets_wipe(&m.tickets);
	/* what stays in force (the firewall's table: the edge stays
	 * closed while edged is down or restarting) is said by each */
	for (size_t i = EDGED_NMODULES; i-- > 0;) {
		if (m.mods[i] == NULL)
			continue;
		if (edged_modules[i]->master_stop != NULL)
			edged_modules[i]->master_stop(m.mods[i]);
		edged_modules[i]->master_free(m.mods[i]);
	}
	log_info("stopped");
	return 0;
}
