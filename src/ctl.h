/*
 * src/ctl.h - the master's control socket: one command line per
 * connection, answered with "OK\n" or "ERROR\n" and then text.
 *
 * The commands are rows (module.h's struct edged_command): the core's
 * here (status, reload, upgrade) and each module's (the load balancer's
 * show stats, show pool, show certificates, member; the firewall's
 * group, firewall, show firewall, show nat).
 * ctl_tables lists them all, for the master and for edgectl alike.
 *
 * The line is checked as it arrives (ctl_cmd.h): a control byte or a
 * line over 64 KiB is refused at once.  A client has 5 s to send its
 * line and 30 s more for a statistics answer (a reload or an upgrade
 * takes what it takes).  At most 64 clients are served at a time; one
 * more is answered "too many control clients" at once.
 */
#ifndef EDGED_CTL_H
#define EDGED_CTL_H

#include <stdbool.h>

#include "ctl_cmd.h"
#include "master_int.h"

/* At most this many tables (ctl_tables): the core's two and one per
 * module. */
#define CTL_TABLES_MAX	(EDGED_NMODULES + 2)

/* Every command's table into t (CTL_TABLES_MAX entries), each with its
 * run hooks' ms: core for the core's, mods[i] for module i's (mods may
 * be NULL: edgectl runs none).  Returns their number. */
size_t ctl_tables(struct ctl_table *t, void *core, void *const *mods);
/* module.h's host->reply and host->ask. */
void ctl_host_reply(struct edged_ctl *c, bool ok, const char *text);
void ctl_host_ask(const struct edged_host *h, struct edged_ctl *c,
    const struct edged_module *mod, uint16_t type, bool json,
    const char *arg);

/* Binds the socket at path (mode 0660, its directory created 0755 if
 * missing).  Returns 0, or -1 after logging why. */
int ctl_open(struct master *m, const char *path);
void ctl_close(struct master *m);
/* Serves the control socket fd, inherited over an upgrade. */
void ctl_adopt(struct master *m, int fd);
/* A client inherited over an upgrade, waiting for its answer. */
struct edged_ctl *ctl_adopt_client(struct master *m, int fd);
int ctl_client_fd(const struct edged_ctl *c);
/* Answers client and closes it. */
void ctl_reply(struct master *m, struct edged_ctl *c, bool ok,
    const char *text);
/* With a formatted text: module.h's edged_replyf(&m->host, ...). */
/* Statistics data from worker w for a waiting client. */
void ctl_stats_reply(struct master *m, struct worker *w,
    const struct ipc_msg *msg);
/* w is gone: clients waiting on it get an error. */
void ctl_worker_gone(struct master *m, struct worker *w);

#endif /* EDGED_CTL_H */
