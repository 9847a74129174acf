/*
 * src/reload.c - generations and the reload transaction: a file loaded
 * into a generation of its own (every module's part made, its sockets
 * bound), its worker started, then every module committed once that
 * worker serves, or everything left as it was.  See docs/architecture.md,
 * "Reload", and conf/module.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "log.h"
#include "master.h"
#include "master_int.h"
#include "notify.h"
#include "text.h"
#include "upgrade.h"

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

/* host->each_worker: a module's fn, with the worker's part of its
 * generation and a channel to it. */
struct each {
	uint16_t id;
	void (*fn)(void *arg, void *gd, const struct edged_channel *ch);
	void *arg;
};

static void
each_one(struct worker *w, void *arg)
{
	const struct each *e = arg;
	struct ipc_channel c = IPC_CHANNEL(w->ipc, e->id);

	e->fn(e->arg, w->gen->mods[e->id], &c.ch);
}

static void
host_each_worker(const struct edged_host *h, const struct edged_module *mod,
    unsigned which, void (*fn)(void *arg, void *gd,
    const struct edged_channel *ch), void *arg)
{
	struct each e = { (uint16_t)edged_module_index(mod), fn, arg };

	workers_each(h->core, which, each_one, &e);
}

/* Every module's kernel_weights (the publisher has none). */
static void
host_kernel_weights(const struct edged_host *h, const char *service,
    const struct edged_kweight *w, size_t n)
{
	struct master *m = h->core;

	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->kernel_weights != NULL &&
		    m->mods[i] != NULL)
			edged_modules[i]->kernel_weights(m->mods[i], service,
			    w, n);
}

/* Every module's service_usable (the publisher has none). */
static void
host_service_usable(const struct edged_host *h, const char *service,
    bool usable)
{
	struct master *m = h->core;

	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->service_usable != NULL &&
		    m->mods[i] != NULL)
			edged_modules[i]->service_usable(m->mods[i], service,
			    usable);
}

/* The modules' runtime in the master, made with the first generation's
 * settings.  0, or -1 out of memory (logged). */
static int
masters_new(struct master *m, const struct edged_conf *c)
{
	struct edged_gen_info info = { .state_dir = c->core.state_dir };

	m->host = (struct edged_host){ .loop = m->loop,
	    .figures = &m->figures, .reply = ctl_host_reply,
	    .ask = ctl_host_ask,
	    .each_worker = host_each_worker,
	    .kernel_weights = host_kernel_weights,
	    .service_usable = host_service_usable, .core = m };
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
int
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
struct gen *
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
void
send_drain(struct worker *w, uint64_t limit_ms)
{
	/* grace and hard-stop-after are at most 7 days: they fit */
	if (ipc_send(w->ipc, IPC_DRAIN, (uint32_t)(limit_ms > UINT32_MAX ?
	    UINT32_MAX : limit_ms), 0, NULL, 0, -1) < 0)
		(void)kill(w->pid, SIGTERM);
}

void
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
	master_count_reload(m, true);
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
		master_count_reload(m, false);
	m->upgrading = false;
	gen_unref(m->pending_gen);
	m->pending_gen = NULL;
	if (asprintf(&text, "%s; the running configuration stays in force\n",
	    why) < 0)
		text = NULL;
	reload_done(m, false, text != NULL ? text : "out of memory\n");
	free(text);
}

void
master_reload_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
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
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	conf_diag_print(d, f);
	fprintf(f, "configuration has errors, not reloading\n");
	return text_close(&t, NULL);
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
		master_count_reload(m, false);
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
