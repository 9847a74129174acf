/*
 * src/master_int.h - the master's state, shared by master.c and ctl.c.
 */
#ifndef EDGED_MASTER_INT_H
#define EDGED_MASTER_INT_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "fw_dyn.h"
#include "fw_netlink.h"
#include "fw_stats.h"
#include "ipc.h"
#include "listeners.h"
#include "state.h"
#include "tickets.h"

/* One configuration generation: the parsed file, its text as sent to
 * workers, and its sockets.  Freed when the last worker using it is. */
struct gen {
	struct edged_conf *conf;
	char *text;
	size_t len;
	struct listen_set listeners;
	int *log_fds;			/* [nvservers]: access-log files, -1 */
	struct lb_tls_files tls;	/* certificates, keys, CAs as read */
	char *fw_text;			/* its nftables table (fw_nft.h); ""
					 * without firewall and NAT */
	int fw_blk_fd;			/* its counters for the metrics
					 * (fw_stats.h): a memfd, or -1 */
	struct fw_stats fw_blk;		/* mapped */
	size_t fw_blk_len;
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
	struct state_block blk;		/* its counters and member state */
	struct worker *next;		/* in m->draining */
};

struct ctl_client;

/* What edgectl set on a member: kept by the master and given to every
 * worker it starts, so that it survives reloads and worker restarts. */
struct member_override {
	char pool[LB_NAME_MAX];
	char member[LB_NAME_MAX];
	int admin;			/* enum lb_admin_state; -1 = unset */
	unsigned weight;		/* 0 = unset */
	int health;			/* the monitor's verdict: 1 up, 0 down,
					 * -1 unknown (not from edgectl) */
};

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
	struct worker *draining;	/* old generations finishing */
	struct ctl_client *reload_client;
	bool upgrading;			/* the pending worker is an upgrade's */
	struct ctl_client *upgrade_client;	/* waiting for an upgrade */
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
	struct ctl_client *clients;
	ev_tstamp ctl_refused_logged;	/* too many control clients: the
					 * last warning, and refusals since */
	unsigned long ctl_refused;
	uint32_t next_id;
	struct member_override *overrides;
	size_t noverrides;
	ev_tstamp started;
	struct state state;		/* carried between workers */
	ev_timer state_timer;		/* refreshes bases while several
					 * workers live */
	struct tickets tickets;		/* TLS session ticket keys */
	ev_timer ticket_timer;		/* rotates them */
	struct fw_nl *fwnl;		/* nfnetlink: group changes, counters */
	char *fw_applied;		/* the table in the kernel as we put
					 * it there; NULL: not yet */
	ev_io fw_watch;			/* nftables change notices (fd -1:
					 * none) */
	struct fw_nl_self fw_self;	/* edged, as the notices name it */
	struct fw_nl_gen fw_gen;	/* the generation being read */
	int fw_tampered;		/* enum fw_nl_verdict of the last
					 * change by something else since
					 * edged's table went in; 0 none */
	struct fw_dyn dyn;		/* dynamic groups' members */
	struct ipc_msg msg;
};

void gen_unref(struct gen *g);
/* The override entry of pool/member, created if new; NULL out of
 * memory. */
struct member_override *master_override(struct master *m, const char *pool,
    const char *member);
/* Sends the overrides that apply to g's configuration to w. */
int send_overrides(struct master *m, struct worker *w, const struct gen *g);
void worker_ready(struct master *m, struct worker *w);
/* Watches w's IPC socket and exit (a started or an adopted worker). */
void worker_watch(struct master *m, struct worker *w);
void reload_failed(struct master *m, const char *why);
void draining_remove(struct master *m, struct worker *w);
/* Brings the current and pending workers' base counters up to date. */
void master_refresh_state(struct master *m);
/* Starts a reload; the result goes to client (may be NULL) and the log.
 * Returns 0 when a new worker is starting, -1 when the reload was
 * rejected at once (already answered). */
int master_reload(struct master *m, struct ctl_client *client);

/* fwsync.c: puts g's firewall table in force unless it already is;
 * 0, or -1 with err (then what was in force stays). */
int master_fw_sync(struct master *m, const struct gen *g, char *err,
    size_t errsize);
/* After a failed reload: the running generation's table again. */
void master_fw_restore(struct master *m);
/* Sets up the watch on edged's table (idempotent), and closes it. */
void master_fw_watch_init(struct master *m);
void master_fw_watch_close(struct master *m);
/* g's block of firewall counters, when it has a firewall or NAT (a
 * failure is logged: the metrics go without those figures), and its
 * release. */
void master_fw_block(struct gen *g);
void master_fw_block_release(struct gen *g);
/* A worker of g asks for fresh figures in g's block. */
void master_fw_publish(struct master *m, struct gen *g);
/* At start: the dynamic groups' members from g's state directory. */
void master_fw_load_state(struct master *m, const struct gen *g);
struct ctl_client;
/* edgectl group add|del|set|show ... (words as the control line has
 * them) */
void master_group_cmd(struct master *m, struct ctl_client *c, char **words,
    size_t n);
/* edgectl firewall ... (words as the control line has them) */
void master_fw_cmd(struct master *m, struct ctl_client *c, char **words,
    size_t n);
/* At stop: logs that table inet edged stays in force (or that it was
 * flushed), and how to remove it. */
void master_fw_stopping(const struct master *m);
/* edgectl show firewall|nat [json] */
void master_fw_show(struct master *m, struct ctl_client *c, bool json,
    bool nat);

#endif /* EDGED_MASTER_INT_H */
