/*
 * src/master_int.h - the master's state, shared by master.c and ctl.c.
 */
#ifndef EDGED_MASTER_INT_H
#define EDGED_MASTER_INT_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "ipc.h"
#include "listeners.h"
#include "tickets.h"

/* One configuration generation: the parsed file, its text as sent to
 * workers, and its sockets.  Freed when the last worker using it is. */
struct gen {
	struct master *m;
	struct edged_conf *conf;
	char *text;
	size_t len;
	struct listen_set listeners;
	void *mods[EDGED_NMODULES];	/* each module's runtime part
					 * (module.h's gen_new) */
	unsigned refs;
	ev_tstamp loaded;
};

struct worker {
	struct master *m;
	struct gen *gen;
	pid_t pid;
	int ipc;
	ev_io io;
	ev_child child;
	ev_tstamp started;
	bool ready;
	void *mods[EDGED_NMODULES];	/* each module's data for it
					 * (module.h's worker_born) */
	struct worker *next;		/* in m->draining */
};

struct edged_ctl;

struct master {
	struct ev_loop *loop;
	const char *path;
	char exe[4096];			/* this binary, run as the worker */
	bool debug;
	bool stopping;
	bool ready_notified;		/* READY=1 sent to systemd */
	struct gen *gen;		/* in force */
	struct worker *worker;		/* serving gen */
	struct worker *pending;		/* a reload's new worker */
	struct gen *pending_gen;
	struct gen *held;		/* a refused generation a module could
					 * not go back from (gens_commit) */
	struct worker *draining;	/* old generations finishing */
	struct edged_ctl *reload_client;
	bool upgrading;			/* the pending worker is an upgrade's */
	struct edged_ctl *upgrade_client;	/* waiting for an upgrade */
	pid_t upgrade_pid;		/* the new binary checking the file */
	int upgrade_out;		/* its messages (memfd), -1 */
	ev_child upgrade_child;
	ev_timer upgrade_timer;
	ev_timer restart;
	ev_timer reload_timeout;
	ev_timer kill_timer;
	double restart_delay;
	ev_signal sigs[5];
	int ctl_fd;
	ev_io ctl_io;
	struct edged_ctl *clients;
	ev_tstamp ctl_refused_logged;	/* too many control clients: the
					 * last warning, and refusals since */
	unsigned long ctl_refused;
	uint32_t next_id;
	ev_tstamp started;
	struct edged_figures figures;	/* reloads, start, load: the
					 * modules show them */
	struct tickets tickets;		/* TLS session ticket keys */
	ev_timer ticket_timer;		/* rotates them */
	struct edged_host host;		/* what the modules get of us */
	bool modules_up;		/* mods made (masters_new) */
	void *mods[EDGED_NMODULES];	/* each module's runtime in the
					 * master (module.h's master_new) */
	struct ipc_msg msg;
};

void gen_unref(struct gen *g);
void worker_ready(struct master *m, struct worker *w);
/* Watches w's IPC socket and exit (a started or an adopted worker). */
void worker_watch(struct master *m, struct worker *w);
void reload_failed(struct master *m, const char *why);
void draining_remove(struct master *m, struct worker *w);
/* w's role (EDGED_W_*) for every module. */
void worker_set_role(struct master *m, struct worker *w, unsigned role);
/* workers.c: a worker of g, started and fed (NULL after logging why). */
struct worker *worker_start(struct master *m, struct gen *g);
/* The modules see m->figures again; a reload counted (not an upgrade). */
void master_figures_changed(struct master *m);
void master_count_reload(struct master *m, bool ok);
/* fn for each live worker of which (EDGED_W_*): the serving one, a
 * reload's starting one, the draining ones. */
void workers_each(struct master *m, unsigned which,
    void (*fn)(struct worker *w, void *arg), void *arg);
/* The workers' timers: restarts, ticket key rotations (started). */
void workers_init(struct master *m);

/* reload.c: loads the file and binds what it needs, sharing prev's
 * sockets where the addresses are the same; NULL with errors in d. */
struct gen *gen_load(struct master *m, const struct listen_set *prev,
    struct conf_diag *d);
/* Puts g in force in every module; when one cannot, those before it go
 * back to prev (may be NULL) and err says why.  0, or -1. */
int gens_commit(struct master *m, struct gen *g, struct gen *prev,
    char *err, size_t errsize);
/* Tells w to finish what it has in flight within limit_ms and exit
 * (drain_worker: and puts it among the draining). */
void send_drain(struct worker *w, uint64_t limit_ms);
void drain_worker(struct master *m, struct worker *w, uint64_t limit_ms);
void master_reload_timeout_cb(struct ev_loop *loop, ev_timer *t,
    int revents);
/* Starts a reload; the result goes to client (may be NULL) and the log.
 * Returns 0 when a new worker is starting, -1 when the reload was
 * rejected at once (already answered). */
int master_reload(struct master *m, struct edged_ctl *client);

#endif /* EDGED_MASTER_INT_H */
