/*
 * src/master.c - the master process.  It stays root: it reads and
 * validates the configuration, binds the listening sockets, starts the
 * unprivileged worker and hands it the configuration text and the
 * sockets, restarts it when it dies, serves the control socket, and
 * reloads as a transaction: a new configuration that does not parse, or
 * whose sockets cannot be bound, or whose worker does not come up,
 * leaves the running one untouched.  Its worker processes are in
 * workers.c, generations and the reload in reload.c; here are its
 * signals, its stop and its main.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "log.h"
#include "master.h"
#include "master_int.h"
#include "notify.h"
#include "upgrade.h"

/* Each client connection may hold a backend connection too; the worker
 * inherits this limit.  Root may raise the hard limit; others get what
 * the hard limit allows, and accept backs off when it runs out.  Without
 * a listening socket there is nothing to accept, and nothing to say. */
static void
raise_fd_limit(const struct gen *g)
{
	uint64_t maxconn = g->conf->core.max_connections;
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
	    g->listeners.nlisteners > 0)
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
	ev_init(&m->reload_timeout, master_reload_timeout_cb);
	m->reload_timeout.data = m;
	ev_init(&m->kill_timer, kill_timer_cb);
	m->kill_timer.data = m;
	workers_init(m);
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
	master_figures_changed(m);
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

/* The worker is this binary, by its real name (ps shows "edged").  0,
 * or -1 after logging why. */
static int
own_binary(struct master *m)
{
	ssize_t n = readlink("/proc/self/exe", m->exe, sizeof(m->exe) - 1);

	if (n <= 0 || (size_t)n >= sizeof(m->exe) - 1) {
		log_err("cannot find my own binary: %s", strerror(errno));
		return -1;
	}
	m->exe[n] = '\0';
	return 0;
}

/* The first generation, loaded (with u's sockets after an upgrade) and
 * committed in every module before any worker starts.  0, or -1 after
 * logging why: edged does not start. */
static int
first_generation(struct master *m, struct upgrade_state *u)
{
	struct conf_diag d;
	char err[2048];

	conf_diag_init(&d);
	m->gen = gen_load(m, u ? &u->old : NULL, &d);
	log_conf_diag(&d);
	conf_diag_free(&d);
	if (m->gen == NULL) {
		log_err("configuration %s has errors; not starting", m->path);
		return -1;
	}
	m->figures.loaded_ms = (uint64_t)(m->gen->loaded * 1e3);
	master_figures_changed(m);
	if (gens_commit(m, m->gen, NULL, err, sizeof(err)) < 0) {
		log_err("%s; not starting", err);
		return -1;
	}
	return 0;
}

/* The control socket and the first worker (after an upgrade: what the
 * old image handed over, u, which is freed).  0, or -1. */
static int
serve(struct master *m, struct upgrade_state *u)
{
	int rc;

	if (u != NULL) {
		/* the new generation holds its own duplicates now */
		rc = resume_upgrade(m, u);
		upgrade_state_free(u);
		if (rc == 0)
			log_info("edged %s took over (upgrade), with %s",
			    EDGED_VERSION, m->path);
		return rc;
	}
	if (ctl_open(m, m->gen->conf->core.control_socket) < 0 ||
	    (m->worker = worker_start(m, m->gen)) == NULL)
		return -1;
	worker_set_role(m, m->worker, EDGED_W_SERVING);
	log_info("edged started with %s", m->path);
	return 0;
}

/* After the loop: what stays in force (the firewall's table: the edge
 * stays closed while edged is down or restarting) is said by each
 * module, and everything goes. */
static void
master_end(struct master *m)
{
	ctl_close(m);
	gen_unref(m->gen);
	gen_unref(m->held);
	tickets_wipe(&m->tickets);
	for (size_t i = EDGED_NMODULES; i-- > 0;) {
		if (m->mods[i] == NULL)
			continue;
		if (edged_modules[i]->master_stop != NULL)
			edged_modules[i]->master_stop(m->mods[i]);
		edged_modules[i]->master_free(m->mods[i]);
	}
	log_info("stopped");
}

int
master_main(const char *path, bool debug, int upgrade_fd)
{
	struct master m = { .path = path, .debug = debug, .ctl_fd = -1,
	    .upgrade_out = -1 };
	struct upgrade_state *u = NULL;
	sigset_t none;

	log_init("master", debug);
	signal(SIGPIPE, SIG_IGN);
	/* Memory freed is kept for the next use (up to 64 MiB of it), not
	 * given back to the kernel at once: a feed read, a table build or
	 * a reload frees and takes again megabytes at a time, and faulting
	 * them in anew was a third of a 100,000-entry feed's change on a VM
	 * (page faults are dear under a hypervisor; 2 MB more resident) */
	(void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	if (own_binary(&m) < 0)
		return 1;
	/* an exec keeps the signal mask: start from a clean one */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	m.loop = EV_DEFAULT;
	m.started = ev_time();
	m.figures.started_ms = (uint64_t)(m.started * 1e3);
	if (upgrade_fd >= 0 && (u = upgrade_read(upgrade_fd)) == NULL)
		return 1;
	if (first_generation(&m, u) < 0)
		return 1;
	if (geteuid() != 0)
		log_warn("not running as root: the worker keeps uid %d",
		    (int)geteuid());
	raise_fd_limit(m.gen);
	if (u == NULL && tickets_rotate(&m.tickets) < 0) {
		log_err("cannot make a TLS ticket key: no randomness");
		return 1;
	}
	init_watchers(&m);
	if (serve(&m, u) < 0)
		return 1;
	ev_run(m.loop, 0);
	master_end(&m);
	return 0;
}
