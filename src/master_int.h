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
/* Starts a reload; the result goes to client (may be NULL) and the log.
 * Returns 0 when a new worker is starting, -1 when the reload was
 * rejected at once (already answered). */
int master_reload(struct master *m, struct edged_ctl *client);

#endif /* EDGED_MASTER_INT_H */
