/*
 * src/upgrade.c - binary upgrade: the master re-executes the installed
 * binary in place (same pid, so systemd and the workers' parent stay
 * the same) and hands the new image everything it must not lose.
 *
 * 1. The installed binary checks the configuration (`edged -t`) in a
 *    child; if it refuses it, the upgrade is refused with its messages
 *    and nothing changes.
 * 2. The master writes its state into a memfd as text lines: the
 *    listening sockets (by descriptor and thread; the new image asks each
 *    its address), the control socket, the edgectl client waiting for
 *    the answer, every live worker (pid, IPC socket, state block), what
 *    each module carries (edgectl's member overrides) and the registry
 *    of carried counters; it clears close-on-exec on those descriptors
 *    and execs itself with `-U FD`.
 * 3. The new image loads the configuration with the inherited sockets
 *    as the previous generation's (so they are shared, not rebound),
 *    adopts the workers as its children, and then proceeds as a reload:
 *    a new worker of the new binary starts, and once it serves, the old
 *    one drains.  The listening sockets never close, so nothing is
 *    refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "master_int.h"
#include "mem.h"
#include "notify.h"
#include "upgrade.h"

#define UPGRADE_MAGIC	"edged-upgrade 1"
#define MAX_FDS		4096

/* ---- the old image ---- */

struct fdlist {
	int v[MAX_FDS];
	size_t n;
};

static void
pass_fd(struct fdlist *l, int fd)
{
	if (fd >= 0 && l->n < MAX_FDS)
		l->v[l->n++] = fd;
}

/* "worker ROLE PID IPC FD...": each module's descriptor for it (module.h's
 * worker_carry), -1 for none, in the module table's order. */
static void
save_worker(struct master *m, FILE *f, struct fdlist *l,
    const struct worker *w, const char *role)
{
	fprintf(f, "worker %s %d %d", role, (int)w->pid, w->ipc);
	pass_fd(l, w->ipc);
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		int fd = w->mods[i] != NULL && edged_modules[i]->worker_carry ?
		    edged_modules[i]->worker_carry(m->mods[i], w->mods[i]) : -1;

		fprintf(f, " %d", fd);
		pass_fd(l, fd);
	}
	fputc('\n', f);
}

static int
carry_pass(const struct edged_carry *c, int fd)
{
	struct fdlist *l = c->core;

	if (fd < 0 || l->n >= MAX_FDS)
		return -1;
	pass_fd(l, fd);
	return 0;
}

static void
save_state(struct master *m, FILE *f, struct fdlist *l, int client_fd)
{
	const struct edged_carry carry = { carry_pass, l };

	const struct listen_set *ls = &m->gen->listeners;

	fprintf(f, "%s\nstarted %.6f\nctl %d\n", UPGRADE_MAGIC, m->started,
	    m->ctl_fd);
	pass_fd(l, m->ctl_fd);
	if (client_fd >= 0) {
		fprintf(f, "client %d\n", client_fd);
		pass_fd(l, client_fd);
	}
	for (size_t i = 0; i < ls->nlisteners * ls->nthreads; i++) {
		fprintf(f, "listener %u %d\n", ls->v[i].thread, ls->v[i].fd);
		pass_fd(l, ls->v[i].fd);
	}
	if (ls->stats.fd >= 0) {
		fprintf(f, "stats %d\n", ls->stats.fd);
		pass_fd(l, ls->stats.fd);
	}
	save_worker(m, f, l, m->worker, "current");
	for (const struct worker *w = m->draining; w != NULL; w = w->next)
		save_worker(m, f, l, w, "draining");
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->carry_save != NULL)
			edged_modules[i]->carry_save(m->mods[i], f, &carry);
	fprintf(f, "reloads %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    m->figures.reloads_ok, m->figures.reloads_failed,
	    m->figures.loaded_ms);
	tickets_save(&m->tickets, f);
}

static void
set_cloexec(const struct fdlist *l, bool on)
{
	for (size_t i = 0; i < l->n; i++)
		(void)fcntl(l->v[i], F_SETFD, on ? FD_CLOEXEC : 0);
}

/* The check passed: hand over and exec.  Returns only on failure. */
static void
upgrade_exec(struct master *m)
{
	struct edged_ctl *c = m->upgrade_client;
	int client_fd = c ? ctl_client_fd(c) : -1;
	struct fdlist *l = calloc(1, sizeof(*l));
	int fd = memfd_create("edged-upgrade", 0);
	char fdarg[16], path[4096];
	char *argv[] = { "edged", "-c", path, "-U", fdarg,
	    m->debug ? "-d" : NULL, NULL };
	FILE *f;

	snprintf(path, sizeof(path), "%s", m->path);
	if (l == NULL || fd < 0 || (f = fdopen(dup(fd), "w")) == NULL) {
		upgrade_failed(m, "cannot save the state: %s", strerror(errno));
		goto out;
	}
	save_state(m, f, l, client_fd);
	if (fclose(f) != 0 || l->n == MAX_FDS) {
		upgrade_failed(m, "cannot save the state");
		goto out;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	log_info("upgrading: executing %s", m->exe);
	set_cloexec(l, false);
	execv(m->exe, argv);
	set_cloexec(l, true);
	upgrade_failed(m, "cannot execute %s: %s", m->exe, strerror(errno));
out:
	if (fd >= 0)
		(void)close(fd);
	free(l);
}

static void
check_done_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct master *m = c->data;
	char out[2048] = "";
	ssize_t n;

	(void)revents;
	ev_child_stop(loop, c);
	ev_timer_stop(loop, &m->upgrade_timer);
	m->upgrade_pid = 0;
	if (lseek(m->upgrade_out, 0, SEEK_SET) == 0 &&
	    (n = read(m->upgrade_out, out, sizeof(out) - 1)) > 0)
		out[n] = '\0';
	(void)close(m->upgrade_out);
	m->upgrade_out = -1;
	if (!WIFEXITED(c->rstatus) || WEXITSTATUS(c->rstatus) != 0) {
		upgrade_failed(m, "%s refuses the configuration:\n%s", m->exe,
		    out);
		return;
	}
	if (m->pending != NULL || m->worker == NULL || m->stopping) {
		upgrade_failed(m, "edged is busy (a reload, a restart or a "
		    "stop); try again");
		return;
	}
	upgrade_exec(m);
}

static void
check_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct master *m = t->data;

	(void)loop;
	(void)revents;
	if (m->upgrade_pid > 0)
		(void)kill(m->upgrade_pid, SIGKILL);
}

int
master_upgrade(struct master *m, struct edged_ctl *client)
{
	pid_t pid;

	if (m->upgrade_pid > 0 || m->upgrade_client != NULL ||
	    m->pending != NULL || m->worker == NULL || m->stopping) {
		if (client != NULL)
			ctl_reply(m, client, false, "edged is busy (an "
			    "upgrade, a reload, a restart or a stop); try "
			    "again\n");
		return -1;
	}
	m->upgrade_client = client;
	notify_reloading();
	m->upgrade_out = memfd_create("edged-check", MFD_CLOEXEC);
	if (m->upgrade_out < 0) {
		upgrade_failed(m, "memfd: %s", strerror(errno));
		return -1;
	}
	log_info("upgrade: checking %s with %s", m->path, m->exe);
	if ((pid = fork()) == 0) {
		(void)dup2(m->upgrade_out, STDOUT_FILENO);
		(void)dup2(m->upgrade_out, STDERR_FILENO);
		execl(m->exe, "edged", "-t", "-c", m->path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		upgrade_failed(m, "fork: %s", strerror(errno));
		return -1;
	}
	m->upgrade_pid = pid;
	ev_child_init(&m->upgrade_child, check_done_cb, pid, 0);
	m->upgrade_child.data = m;
	ev_child_start(m->loop, &m->upgrade_child);
	ev_timer_init(&m->upgrade_timer, check_timeout_cb, 10.0, 0);
	m->upgrade_timer.data = m;
	ev_timer_start(m->loop, &m->upgrade_timer);
	return 0;
}

void
upgrade_failed(struct master *m, const char *fmt, ...)
{
	char why[2600];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why) - 1, fmt, ap);
	va_end(ap);
	n = strlen(why);
	if (n == 0 || why[n - 1] != '\n')
		memcpy(why + n, "\n", 2);
	log_err("upgrade failed; the running binary stays: %s", why);
	if (m->upgrade_out >= 0)
		(void)close(m->upgrade_out);
	m->upgrade_out = -1;
	if (m->upgrade_client != NULL)
		ctl_reply(m, m->upgrade_client, false, why);
	m->upgrade_client = NULL;
	if (!m->stopping)
		notify("READY=1\nSTATUS=serving; the last upgrade failed");
}

/* ---- the new image ---- */

/* A listening socket handed over: its address, asked of the kernel. */
static int
add_listener(struct listen_set *ls, size_t *cap, unsigned thread, int fd)
{
	struct listen_sock *s;
	socklen_t tlen = sizeof(int);

	if (mem_grow(&ls->v, cap, ls->nlisteners + 1, sizeof(*ls->v)) == -1)
		return -1;
	s = &ls->v[ls->nlisteners];
	*s = (struct listen_sock){ .thread = thread, .fd = fd,
	    .addrlen = sizeof(s->addr) };
	if (getsockname(fd, (struct sockaddr *)&s->addr, &s->addrlen) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &s->socktype, &tlen) < 0)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	ls->nlisteners++;
	return 0;
}

/* The worker of "worker ROLE PID IPC FD..." (fds: each module's, -1
 * none), now ours. */
static int
adopt_worker(struct master *m, const char *role, int pid, int ipc,
    const int *fds)
{
	struct worker *w = calloc(1, sizeof(*w));
	bool current = strcmp(role, "current") == 0 && m->worker == NULL;

	if (w == NULL)
		return -1;
	(void)fcntl(ipc, F_SETFD, FD_CLOEXEC);
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		if (fds[i] >= 0)
			(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		if (edged_modules[i]->worker_adopt == NULL) {
			if (fds[i] >= 0)
				(void)close(fds[i]);
			continue;
		}
		if (edged_modules[i]->worker_adopt(m->mods[i], fds[i],
		    current ? EDGED_W_SERVING : EDGED_W_DRAINING,
		    &w->mods[i]) < 0)
			log_err("worker %d: %s's state for it is lost", pid,
			    edged_modules[i]->name);
	}
	w->m = m;
	w->pid = pid;
	w->ipc = ipc;
	w->ready = true;
	w->started = ev_now(m->loop);
	w->gen = m->gen;
	m->gen->refs++;
	worker_watch(m, w);
	if (current) {
		m->worker = w;
	} else {
		w->next = m->draining;
		m->draining = w;
	}
	return 0;
}

/* Wipes and frees the lines read: the ticket keys were among them. */
static void
drop_lines(struct upgrade_state *u)
{
	for (size_t i = 0; i < u->nlines; i++) {
		explicit_bzero(u->lines[i], strlen(u->lines[i]));
		free(u->lines[i]);
	}
	free(u->lines);
	u->lines = NULL;
	u->nlines = 0;
}

/* The lines in fd (closed) into u->lines; the text is wiped (ticket
 * keys pass there).  0, or -1 when fd cannot be read. */
static int
read_lines(struct upgrade_state *u, int fd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (lseek(fd, 0, SEEK_SET) < 0 || (f = fdopen(fd, "r")) == NULL)
		return -1;
	while (getline(&text, &len, f) > 0) {
		text[strcspn(text, "\n")] = '\0';
		if (mem_resize(&u->lines, u->nlines + 1,
		    sizeof(*u->lines)) == -1 ||
		    (u->lines[u->nlines] = strdup(text)) == NULL) {
			/* ticket keys may be among the lines read: wiped */
			drop_lines(u);
			break;
		}
		u->nlines++;
	}
	if (text != NULL)
		explicit_bzero(text, len);
	free(text);
	(void)fclose(f);
	return 0;
}

/* The sockets of the lines first: the configuration is loaded with
 * them. */
static void
read_sockets(struct upgrade_state *u)
{
	for (size_t i = 1; i < u->nlines; i++) {
		const char *s = u->lines[i];
		unsigned thread;
		int a, b = 0;

		if (sscanf(s, "listener %u %d", &thread, &a) == 2)
			b = add_listener(&u->old, &u->cap, thread, a);
		else if (sscanf(s, "stats %d", &a) == 1) {
			u->old.stats.fd = a;
			u->old.stats.addrlen = sizeof(u->old.stats.addr);
			b = getsockname(a,
			    (struct sockaddr *)&u->old.stats.addr,
			    &u->old.stats.addrlen);
		} else if (sscanf(s, "ctl %d", &a) == 1)
			u->ctl = a;
		else if (sscanf(s, "client %d", &a) == 1)
			u->client = a;
		else if (sscanf(s, "started %lf", &u->started) == 1)
			continue;
		if (b < 0)
			log_err("upgrade: %s: %s", s, strerror(errno));
	}
	/* dup_old matches address and thread over nlisteners * nthreads */
	u->old.nthreads = 1;
}

struct upgrade_state *
upgrade_read(int fd)
{
	struct upgrade_state *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	*u = (struct upgrade_state){ .ctl = -1, .client = -1 };
	u->old.stats.fd = -1;
	if (read_lines(u, fd) < 0) {
		free(u);
		return NULL;
	}
	if (u->nlines == 0 || strcmp(u->lines[0], UPGRADE_MAGIC) != 0) {
		log_err("upgrade: the state handed over is not %s",
		    UPGRADE_MAGIC);
		upgrade_state_free(u);
		return NULL;
	}
	read_sockets(u);
	return u;
}

/* The module descriptors of a "worker ROLE PID IPC FD..." line into
 * fds[EDGED_NMODULES], -1 where there are none (an older image's line
 * has one, the load balancer's). */
static void
worker_fds(const char *line, int *fds)
{
	int used = 0;

	for (size_t i = 0; i < EDGED_NMODULES; i++)
		fds[i] = -1;
	(void)sscanf(line, "worker %*s %*d %*d%n", &used);
	line += used;
	for (size_t i = 0; i < EDGED_NMODULES && used > 0; i++) {
		used = 0;
		if (sscanf(line, " %d%n", &fds[i], &used) != 1)
			break;
		line += used;
	}
}

/* "reloads OK FAILED LOADED_MS": the core's figures. */
static int
load_reloads(struct master *m, const char *line)
{
	struct edged_figures f = m->figures;
	int used = 0;

	if (sscanf(line, "reloads %" SCNu64 " %" SCNu64 " %" SCNu64 "%n",
	    &f.reloads_ok, &f.reloads_failed, &f.loaded_ms, &used) != 3 ||
	    line[used] != '\0')
		return -1;
	m->figures = f;
	return 0;
}

/* A module's line (module.h's carry_line): 1 taken, -1 its but bad, 0
 * none's. */
static int
carry_line(struct master *m, const char *line)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		int r = edged_modules[i]->carry_line == NULL ? 0 :
		    edged_modules[i]->carry_line(m->mods[i], line);

		if (r != 0)
			return r;
	}
	return 0;
}

int
upgrade_adopt(struct master *m, struct upgrade_state *u)
{
	int errors = 0;

	for (size_t i = 1; i < u->nlines; i++) {
		const char *s = u->lines[i];
		char role[16];
		int pid, ipc, r, fds[EDGED_NMODULES];

		if (sscanf(s, "worker %15s %d %d", role, &pid, &ipc) == 3) {
			worker_fds(s, fds);
			if (adopt_worker(m, role, pid, ipc, fds) < 0)
				errors++;
		} else if (strncmp(s, "reloads ", 8) == 0) {
			if (load_reloads(m, s) < 0) {
				log_warn("upgrade: bad state line: %s", s);
				errors++;
			}
		} else if ((r = carry_line(m, s)) != 0) {
			if (r < 0) {
				log_warn("upgrade: bad line: %s", s);
				errors++;
			}
		} else if (tickets_load_line(&m->tickets, s) < 0) {
			log_warn("upgrade: bad TLS ticket keys; new ones");
			errors++;
		}
	}
	/* a worker that died while we were exec'ing: reap it now */
	ev_feed_signal(SIGCHLD);
	return errors ? -1 : 0;
}

void
upgrade_state_free(struct upgrade_state *u)
{
	if (u == NULL)
		return;
	drop_lines(u);
	listen_set_release(&u->old);
	free(u);
}
